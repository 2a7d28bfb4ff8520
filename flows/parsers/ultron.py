"""The "Ultron" component graphs of order.list and order.detail.

Why this walk: ``data.data`` maps keys to components but is an unordered map; the
page's order (which order comes first, which block is above which) lives only in
``data.hierarchy.structure``, walked depth-first from ``data.hierarchy.root``.
Components are picked by their ``tag``; key suffixes (``pc_om_list_order_<id>``) are
names chosen by the server and are never parsed for meaning. A later order-list page
carries only the components that changed, so its structure may not reach them from
the root: each parent the structure lists is walked too, in the order listed.
"""

from __future__ import annotations

from typing import Any

from flows.parsers.fields import missing

__all__ = ["Component", "components_by_tag", "one_by_tag", "ordered_components"]

#: (key in data.data, the component) — the key is kept only for error messages
Component = tuple[str, dict[str, Any]]


def ordered_components(data: dict[str, Any], where: str) -> list[Component]:
    """Every component of ``data`` (the envelope's ``data``) in page order.

    Components the hierarchy does not reach come last, in key order: the page would
    not show them, but dropping an order silently is worse than showing one too many.
    """
    components = data.get("data")
    if not isinstance(components, dict):
        raise missing(where, "data.data")
    hierarchy = data.get("hierarchy")
    if not isinstance(hierarchy, dict):
        raise missing(where, "data.hierarchy")
    structure = hierarchy.get("structure")
    if not isinstance(structure, dict):
        raise missing(where, "data.hierarchy.structure")
    root = hierarchy.get("root")
    if not isinstance(root, str) or not root:
        raise missing(where, "data.hierarchy.root")

    ordered: list[str] = []
    seen: set[str] = set()
    for start in [root, *structure]:  # the root first, then parents a partial answer lists
        stack = [start]
        while stack:  # iterative depth-first, children in the listed order
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            ordered.append(key)
            children = structure.get(key) or []
            stack.extend(reversed([c for c in children if isinstance(c, str)]))

    result = [(k, components[k]) for k in ordered if isinstance(components.get(k), dict)]
    result += [(k, components[k]) for k in sorted(components) if k not in seen and isinstance(components[k], dict)]
    return result


def components_by_tag(components: list[Component], tag: str) -> list[Component]:
    """The components whose ``tag`` is ``tag``, in page order."""
    return [(k, c) for k, c in components if c.get("tag") == tag]


def one_by_tag(components: list[Component], tag: str, where: str, *, required: bool = True) -> Component | None:
    """The first component with ``tag``; PageChanged naming the tag if it is required and absent."""
    found = components_by_tag(components, tag)
    if not found:
        if required:
            raise missing(where, f"component with tag {tag!r}")
        return None
    return found[0]
