"""Bibliography labels in the citations' author-year style (a local Sphinx extension).

The chapters cite as (Vaswani et al., 2017) (``bibtex_reference_style:
author_year``), but pybtex's default "alpha" labels listed the same entry as
[VSP+17] on the bibliography page. This registers the formatting style
``mhacourse`` (_config.yml: ``bibtex_default_style``): pybtex's alpha style (same
sorting and entry format) with labels written as the citations are: "Vaswani et
al., 2017", "Dao and Ermon, 2022", "Clark, 2019"; two labels that would be equal
get a, b, ... after the year.
"""

from __future__ import annotations

import string
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.labels import BaseLabelStyle


def _last_name(person) -> str:
    names = person.rich_prelast_names + person.rich_last_names
    return " ".join(str(n) for n in names).replace("{", "").replace("}", "")


def author_year(entry) -> str:
    """'Vaswani et al., 2017' for an entry: its authors' (or editors') last names."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(p) for p in people]
    if not names:
        who = entry.fields.get("title", entry.key).split(":")[0]
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    year = entry.fields.get("year", "n.d.")
    return f"{who}, {year}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels as the citations read; equal ones get a, b, ... after the year."""

    def format_labels(self, sorted_entries):
        labels = [author_year(entry) for entry in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] > 1:
                seen[label] += 1
                label += string.ascii_lowercase[seen[label] - 1]
            yield label


class Style(AlphaStyle):
    """pybtex's alpha style with author-year labels."""

    default_label_style = "mhacourse_author_year"


def setup(app):
    register_plugin(
        "pybtex.style.labels", "mhacourse_author_year", AuthorYearLabelStyle
    )
    register_plugin("pybtex.style.formatting", "mhacourse", Style)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
