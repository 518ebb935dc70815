"""Tests for mhacourse.studies.synthetic_language: every relation's target is right."""

import pytest
import torch

from mhacourse.studies.synthetic_language import (
    RELATIONS,
    VOCAB,
    decode,
    make_sentences,
)

DATA = make_sentences(200, seed=5)


def _pairs(relation, b):
    """(query word, next word, [target words]) of one relation in sentence b."""
    words = decode(DATA.tokens[b])
    t = DATA.targets[RELATIONS.index(relation), b]  # (L, L)
    return [
        (words[i], words[i + 1], [words[j] for j in t[i].nonzero().flatten().tolist()])
        for i in t.any(-1).nonzero().flatten().tolist()
    ]


def test_same_seed_same_sentences_and_other_seed_others():
    again = make_sentences(200, seed=5)
    assert torch.equal(again.tokens, DATA.tokens)
    assert torch.equal(again.targets, DATA.targets)
    assert not torch.equal(make_sentences(200, seed=6).tokens, DATA.tokens)


@pytest.mark.parametrize("b", range(0, 200, 7))
def test_targets_determine_the_next_token(b):
    ((_, verb, [subject]),) = _pairs("agreement", b)
    assert verb == ("see" if subject.endswith("s") else "sees")
    ((pronoun, referent, [target]),) = _pairs("coreference", b)
    assert referent == target
    female = target.rstrip("s") in ("queen", "nun", "maid")
    assert pronoun == ("she" if female else "he")
    ((bank, sense, [topic]),) = _pairs("homonym", b)
    assert bank == "bank"
    assert sense == ("shore" if topic in ("river", "boat", "fish") else "loan")
    ((at, site, sites),) = _pairs("attachment", b)
    assert at == "@" and site in sites and len(sites) == 1 + int(DATA.ambiguous[b])
    for query, nxt, [target] in _pairs("induction", b):
        assert nxt == target and query in VOCAB[-8:]


def test_previous_relation_and_padding():
    t = DATA.targets[RELATIONS.index("previous")]  # (B, L, L)
    lengths = (DATA.tokens != 0).sum(1)  # (B,)
    for b in (0, 50):
        n = int(lengths[b])
        assert torch.equal(
            t[b, :n, :n], torch.diag(torch.ones(n - 1, dtype=torch.bool), -1)
        )
        assert not t[b, n:].any()
    assert (DATA.tokens[:, 0] == VOCAB.index("<s>")).all()


def test_bad_input():
    with pytest.raises(ValueError, match="num"):
        make_sentences(0)
    with pytest.raises(ValueError, match=r"\(L,\)"):
        decode(torch.zeros(2, 3, dtype=torch.long))
