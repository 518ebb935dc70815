"""A small synthetic language whose sentences carry known relations between tokens.

Every sentence is generated from one template with random words and random
lengths, so the position of each word varies::

    <s> adj* NAME NAME NAME TOPIC the adj* NOUN1 of the adj* NOUN2 VERB the NOUN3
    with THING @ ATTACH . PRONOUN REFERENT . the bank SENSE . NAME NAME NAME .

A causal language model predicts each next token. At some positions the
next token can only be predicted by looking at one specific earlier token,
its **target**; these are the language's relations (query -> target):

* ``previous``: every token -> the token just before it;
* ``agreement``: NOUN2 -> NOUN1. The verb after NOUN2 is ``sees`` or ``see``
  by the number of NOUN1, across the phrase "of the adj* NOUN2", whose noun
  has a random number (an attractor);
* ``coreference``: PRONOUN -> its referent. ``he``/``she`` names the one of
  NOUN1, NOUN3 with its gender (NOUN2 is neuter), and the next token repeats
  that noun;
* ``homonym``: ``bank`` -> TOPIC. The next token is ``shore`` after a river
  topic and ``loan`` after a money topic: the context fixes the sense;
* ``attachment``: ``@`` -> VERB or NOUN3. The token after ``@`` repeats the
  word that "with THING" attaches to: the verb for an instrument
  (*telescope*), the noun for an attribute (*hat*), and either, with equal
  probability, for the ambiguous *umbrella* (then both are targets);
* ``induction``: the repeated names at the end -> the token that followed
  the same name the first time.

Shape legend: B batch (sentences), L length (padded), R relations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

__all__ = ["RELATIONS", "VOCAB", "Sentences", "decode", "make_sentences"]

_NOUNS = {  # stem: gender; plural = stem + "s"
    "king": "m",
    "wolf": "m",
    "monk": "m",
    "queen": "f",
    "nun": "f",
    "maid": "f",
    "house": "n",
    "tree": "n",
}
VOCAB = (
    ["<pad>", "<s>", "the", "of", "with", "@", ".", "bank", "sees", "see"]
    + ["he", "she", "shore", "loan", "river", "boat", "fish", "money", "coin", "gold"]
    + [n + s for n in _NOUNS for s in ("", "s")]
    + ["red", "old", "big", "small", "telescope", "stick", "hat", "scarf", "umbrella"]
    + ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal"]
)
"""The token strings; a token id is an index into this list."""
RELATIONS = (
    "previous",
    "agreement",
    "coreference",
    "homonym",
    "attachment",
    "induction",
)
_ID = {t: i for i, t in enumerate(VOCAB)}
_GROUPS = {
    "adj": ["red", "old", "big", "small"],
    "river": ["river", "boat", "fish"],
    "money": ["money", "coin", "gold"],
    "names": ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal"],
    "m": [n for n, g in _NOUNS.items() if g == "m"],
    "f": [n for n, g in _NOUNS.items() if g == "f"],
    "n": [n for n, g in _NOUNS.items() if g == "n"],
}
_THINGS = {"telescope": "verb", "stick": "verb", "hat": "noun", "scarf": "noun"}
_THINGS["umbrella"] = "either"
MAX_LEN = 40


@dataclass
class Sentences:
    """A batch of sentences and the true target of every relation.

    Attributes:
        tokens: long (B, L), padded with ``<pad>`` (id 0) at the end.
        targets: bool (R, B, L, L); ``targets[r, b, i, j]`` is True when
            token j is a true target of query token i for relation
            ``RELATIONS[r]``. A query row with no True is not a query of r.
        ambiguous: bool (B,), True where THING is the ambiguous *umbrella*.
    """

    tokens: torch.Tensor
    targets: torch.Tensor
    ambiguous: torch.Tensor

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def queries(self, relation: str) -> torch.Tensor:
        """bool (B, L): the query positions of ``relation``."""
        return self.targets[RELATIONS.index(relation)].any(-1)


def _pick(g: random.Random, items):
    return items[g.randrange(len(items))]


def _coin(g: random.Random) -> bool:
    return g.randrange(2) == 1


def _adjs(g: random.Random, most: int) -> list[str]:
    return [_pick(g, _GROUPS["adj"]) for _ in range(g.randrange(most + 1))]


def _sentence(g: random.Random) -> tuple[list[str], dict, bool]:
    """One sentence as words, and {relation: [(query, [targets])]}."""
    w, rel = ["<s>"], {r: [] for r in RELATIONS}
    w += _adjs(g, 2)
    names = g.sample(_GROUPS["names"], 3)
    first_names = len(w)
    w += names
    topic = "river" if _coin(g) else "money"
    topic_pos = len(w)
    w += [_pick(g, _GROUPS[topic]), "the"]
    w += _adjs(g, 2)
    g1 = "m" if _coin(g) else "f"
    n1 = _pick(g, _GROUPS[g1]) + ("s" if _coin(g) else "")
    n1_pos = len(w)
    w += [n1, "of", "the"]
    w += _adjs(g, 1)
    rel["agreement"].append((len(w), [n1_pos]))
    w += [_pick(g, _GROUPS["n"]) + ("s" if _coin(g) else "")]
    verb_pos = len(w)
    w += ["sees" if not n1.endswith("s") else "see", "the"]
    g3 = "f" if g1 == "m" else "m"
    n3_pos = len(w)
    w += [_pick(g, _GROUPS[g3]) + ("s" if _coin(g) else ""), "with"]
    thing = _pick(g, list(_THINGS))
    site = _THINGS[thing]
    if site == "either":
        site = "verb" if _coin(g) else "noun"
    sites = [verb_pos] if _THINGS[thing] == "verb" else [n3_pos]
    sites = [verb_pos, n3_pos] if _THINGS[thing] == "either" else sites
    rel["attachment"].append((len(w) + 1, sites))
    w += [thing, "@", w[verb_pos] if site == "verb" else w[n3_pos], "."]
    ref = n1_pos if _coin(g) else n3_pos
    rel["coreference"].append((len(w), [ref]))
    w += ["he" if ref == (n1_pos if g1 == "m" else n3_pos) else "she", w[ref]]
    rel["homonym"].append((len(w) + 2, [topic_pos]))
    w += [".", "the", "bank", "shore" if topic == "river" else "loan", "."]
    for k in range(2):
        rel["induction"].append((len(w) + k, [first_names + k + 1]))
    w += [*names, "."]
    rel["previous"] = [(i, [i - 1]) for i in range(1, len(w))]
    return w, rel, _THINGS[thing] == "either"


def make_sentences(num: int, seed: int = 0) -> Sentences:
    """Generate ``num`` sentences, reproducibly from ``seed``.

    A private ``random.Random(seed)`` draws the words, so the sentences are
    the same on every machine and the global random state is left alone.

    >>> s = make_sentences(4, seed=0)
    >>> s.tokens.shape[0], s.targets.shape[:2], s.tokens.shape[1] <= 40
    (4, torch.Size([6, 4]), True)
    >>> bool(s.queries("homonym").sum(1).eq(1).all())       # one bank per sentence
    True
    >>> decode(s.tokens[0])[:2]
    ['<s>', 'small']
    """
    if num < 1:
        raise ValueError(f"num must be >= 1, got num={num}")
    g = random.Random(seed)
    made = [_sentence(g) for _ in range(num)]
    L = max(len(w) for w, _, _ in made)
    tokens = torch.zeros(num, L, dtype=torch.long)  # (B, L)
    targets = torch.zeros(len(RELATIONS), num, L, L, dtype=torch.bool)  # (R, B, L, L)
    where = []  # (r, b, i, j) of every True entry of targets
    for b, (words, rel, _) in enumerate(made):
        tokens[b, : len(words)] = torch.tensor([_ID[t] for t in words])
        for r, name in enumerate(RELATIONS):
            where += [(r, b, i, j) for i, js in rel[name] for j in js]
    targets[tuple(torch.tensor(where).T)] = True
    ambiguous = torch.tensor([amb for _, _, amb in made])  # (B,)
    return Sentences(tokens, targets, ambiguous)


def decode(tokens: torch.Tensor) -> list[str]:
    """Token ids (L,) -> words, without the padding.

    >>> decode(torch.tensor([1, 7, 12, 0, 0]))
    ['<s>', 'bank', 'shore']
    """
    if tokens.dim() != 1:
        raise ValueError(f"tokens must have shape (L,), got {tuple(tokens.shape)}")
    return [VOCAB[t] for t in tokens.tolist() if t != 0]
