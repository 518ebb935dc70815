"""Every idea of the seed material (../shared/seeds) is covered by a book section.

Each row maps one seed idea to the chapter notebook and the heading of the
section that teaches it, plus a few phrases that section must contain. The
test fails if a heading is renamed or removed, or if the section stops
mentioning the idea, so an idea cannot silently disappear from the book.
"""

import pathlib
import re

import nbformat
import pytest

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"

# (seed, idea, notebook, section heading, phrases that must appear in that section)
IDEAS = [
    (
        "000",
        "attention focuses on parts of the input, like human attention to a scene or "
        "text",
        "01_soft_lookup",
        "Like human attention",
        ["attention", "scene"],
    ),
    (
        "000",
        "queries, keys and values are the inputs of attention",
        "01_soft_lookup",
        "Keys, queries and values as vectors",
        ["quer", "key", "value"],
    ),
    (
        "000",
        "dot product of the query with all keys",
        "02_scaled_dot_product",
        "Dot products as similarity scores",
        ["dot product"],
    ),
    (
        "000",
        "scores scaled by the square root of the key dimension",
        "02_scaled_dot_product",
        r"Why divide by $\sqrt{E}$",
        ["variance", "saturat", "gradient"],
    ),
    (
        "000",
        "softmax turns scores into weights on the values",
        "01_soft_lookup",
        "Attention weights are a probability distribution",
        ["$e^{s}$", "add up to 1"],
    ),
    (
        "001",
        "step 2: softmax is one normalisation, ReLU another",
        "02_scaled_dot_product",
        "Softmax versus ReLU normalisation",
        ["relu", "softmax"],
    ),
    (
        "001",
        "vector view: b1 from a1..a4, step 1 scores",
        "03_self_attention",
        "Step 1: attention scores",
        ["score"],
    ),
    (
        "001",
        "vector view: step 2 normalisation",
        "03_self_attention",
        "Step 2: normalise the scores",
        ["softmax", "relu"],
    ),
    (
        "001",
        "vector view: step 3 weighted sum of values",
        "03_self_attention",
        "Step 3: weighted sum of the values",
        ["weighted sum"],
    ),
    (
        "001",
        "matrix view I: r x n -> O: v x n, A: n x n",
        "03_self_attention",
        "The matrix view: all tokens at once",
        ["r\\times n", "n\\times n", "v\\times n"],
    ),
    (
        "001",
        "only W^q, W^k, W^v are learned",
        "03_self_attention",
        "The only parameters: $W^q$, $W^k$, $W^v$",
        ["parameters"],
    ),
    (
        "001",
        "why it is called self-attention",
        "03_self_attention",
        'Why "self"-attention?',
        ["same"],
    ),
    (
        "003",
        "the output Z is a new representation of X; one-hot, word2vec, ELMo; layers "
        "move points in space",
        "03_self_attention",
        "The output is a new representation of each token",
        ["new representation", "word2vec", "ELMo", r"\sigma(Wx + b)"],
    ),
    (
        "000",
        "several heads run in parallel, each with its own learned projections",
        "04_multi_head",
        "From one head to several",
        ["parallel", "projection"],
    ),
    (
        "001",
        "heads learned independently; 12-100 heads are common",
        "06_transformer",
        "How many heads do real models use?",
        ["12 to about 100", "H = 8"],
    ),
    (
        "002",
        "d_k = d_v = d_model / h",
        "04_multi_head",
        "Head size $E = D / H$ and the parameter count",
        ["D / H", "parameter"],
    ),
    (
        "002",
        "the heads' weights are stacked into one matrix",
        "04_multi_head",
        "One matmul for all heads: the stacked projection",
        ["stack"],
    ),
    (
        "003",
        "shape walk-through [3, 4, 16] -> [3, 4, 8, 2] -> [3, 8, 4, 2] -> [3, 4, 16]",
        "04_multi_head",
        "Walking through the shapes",
        ["[3, 4, 8, 2]", "[3, 8, 4, 2]", "[3, 4, 16]"],
    ),
    (
        "003",
        "the seed's transpose(-2, -1) label",
        "04_multi_head",
        "Which dims does the transpose swap?",
        ["transpose(-2, -1)"],
    ),
    (
        "002",
        "merge the heads by reshaping; per-head scores as one matrix operation, not a "
        "loop",
        "04_multi_head",
        "A loop over heads, or one reshape",
        ["loop", "reshape"],
    ),
    (
        "000",
        "concatenate the heads, then a final linear projection",
        "04_multi_head",
        "Concatenation and the output projection $W^o$",
        ["concat", "W^o"],
    ),
    (
        "003",
        "split X into 8 subspaces; each token goes to 8 places",
        "05_why_several_heads",
        "Heads as subspaces",
        ["subspace"],
    ),
    (
        "002",
        "several heads as a form of ensembling",
        "05_why_several_heads",
        "Heads as an ensemble",
        ["ensemble"],
    ),
    (
        "002",
        "open question: how do heads become and stay different?",
        "05_why_several_heads",
        "How do heads become different, and how do they stay different?",
        ["symmetr"],
    ),
    (
        "002",
        "identical initialisation stays identical",
        "05_why_several_heads",
        "Identical heads stay identical",
        ["identical"],
    ),
    (
        "002",
        "random initialisation breaks the symmetry",
        "05_why_several_heads",
        "Even a tiny perturbation breaks the symmetry",
        ["random"],
    ),
    (
        "000",
        "multi-head attention disentangles different relationships",
        "05_why_several_heads",
        "Switching one head off",
        ["head"],
    ),
    (
        "002",
        "overlapping random subspaces; head sizes that do not divide D",
        "05_why_several_heads",
        "Heads on overlapping random subspaces",
        ["overlap", "divide"],
    ),
    (
        "001",
        "heads may capture people, activity, rhyme; homonyms; syntactic ambiguity; "
        "syntax vs semantics",
        "05_why_several_heads",
        "What a synthetic language shows, and what it does not",
        ["people", "activity", "rhym", "homonym", "syntactic ambiguity", "semantic"],
    ),
    (
        "000",
        "encoder self-attention processes the input sequence",
        "06_transformer",
        "Encoder self-attention",
        ["encoder"],
    ),
    (
        "000",
        "the decoder attends to its own output so far",
        "06_transformer",
        "Decoder causal self-attention",
        ["causal"],
    ),
    (
        "000",
        "the decoder attends to relevant parts of the input sequence",
        "06_transformer",
        "Encoder–decoder cross-attention",
        ["cross"],
    ),
    (
        "003",
        "encoders other than #0 start from the output of the encoder below",
        "06_transformer",
        "Stacking blocks",
        ["block 0", "below"],
    ),
    (
        "000",
        "highly efficient and parallelizable",
        "07_making_it_fast",
        "Why the loops are slow",
        ["parallel"],
    ),
    (
        "003",
        "wider vectors (512 vs 5120) cost more compute",
        "04_multi_head",
        "Head size $E = D / H$ and the parameter count",
        ["5120"],
    ),
]


def _sections(name):
    """{heading: its section text, up to the next heading of same or higher level}."""
    nb = nbformat.read(BOOK / f"{name}.ipynb", as_version=4)
    lines, code = [], []  # a "# comment" in code or a fenced block is no heading
    for cell in nb.cells:
        fenced = cell.cell_type != "markdown"
        for line in cell.source.splitlines():
            fenced ^= cell.cell_type == "markdown" and line.startswith("```")
            lines.append(line)
            code.append(fenced or line.startswith("```"))
    heads = [
        (i, len(m.group(1)), m.group(2).strip())
        for i, line in enumerate(lines)
        if not code[i] and (m := re.match(r"(#{1,4}) (.+)", line))
    ]
    out = {}
    for n, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[n + 1 :] if lv <= level), len(lines))
        out[title] = "\n".join(lines[i:end])
    return out


def test_every_seed_file_is_mapped():
    folder = BOOK.parents[1] / "shared" / "seeds"  # the seeds sit beside the checkout
    if not folder.is_dir():
        pytest.skip(f"seed folder {folder} is not beside this checkout")
    seeds = {p.name[:3] for p in folder.glob("*.txt")}
    assert seeds, f"no seed files in {folder}"
    assert seeds == {seed for seed, *_ in IDEAS}, (
        "a seed file has no idea mapped to the book"
    )


@pytest.mark.parametrize(
    "seed,idea,notebook,heading,phrases", IDEAS, ids=[row[1][:50] for row in IDEAS]
)
def test_seed_idea_is_covered(seed, idea, notebook, heading, phrases):
    sections = _sections(notebook)
    assert heading in sections, (
        f"seed {seed} idea {idea!r}: section {heading!r} missing from {notebook}"
    )
    text = sections[heading].lower()
    missing = [p for p in phrases if p.lower() not in text]
    assert not missing, (
        f"seed {seed} idea {idea!r}: {notebook} / {heading!r} no longer mentions "
        f"{missing}"
    )
