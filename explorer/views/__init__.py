"""The explorer's views, in the order of the view switcher.

Adding a view: write explorer/views/NAME.py with `render(ctx)`, add a View
below, and add its slug to explorer.logic.viewstate.VIEWS so links to it validate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import compare, document, map, recurring, search, timeline


@dataclass(frozen=True)
class View:
    slug: str  # in the URL (?view=slug) and the switcher's key
    label: str
    icon: str
    render: Callable


VIEWS: tuple[View, ...] = (
    View("search", "Search", ":material/search:", search.render),
    View("document", "Document", ":material/article:", document.render),
    View("compare", "Compare", ":material/compare_arrows:", compare.render),
    View("timeline", "Timeline", ":material/bar_chart:", timeline.render),
    View("recurring", "Recurring", ":material/repeat:", recurring.render),
    View("map", "Map", ":material/scatter_plot:", map.render),
)
BY_SLUG = {view.slug: view for view in VIEWS}
