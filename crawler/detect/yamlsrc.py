"""YAML loading that remembers line numbers, so every rule error can say ``file:line``.

Mappings load as :class:`LDict` and sequences as :class:`LList`: ordinary dicts and lists that also
carry the 1-based line where they start and, for mappings, the line of every key. Duplicate keys,
which plain YAML loading silently overwrites, are recorded so the loader can report them.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["LDict", "LList", "line_of", "load_located"]


class LDict(dict):  # type: ignore[type-arg]
    """A mapping with its own line, its keys' lines and the duplicate keys found."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []

    def line_for(self, key: Any) -> int:
        """Line of ``key`` in this mapping (the mapping's own line if absent)."""
        return self.key_lines.get(key, self.line)


class LList(list):  # type: ignore[type-arg]
    """A sequence with its own line and the line of each item."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []

    def line_for(self, index: int) -> int:
        """Line of item ``index`` (the sequence's own line if out of range)."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    """SafeLoader building LDict/LList with line numbers."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LDict:
    loader.flatten_mapping(node)
    result = LDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LList:
    result = LList()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_lines.append(item.start_mark.line + 1)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def load_located(text: str) -> Any:
    """Parse one YAML document into LDict/LList/scalars; raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_Loader)


def line_of(value: Any, default: int = 0) -> int:
    """The line of a loaded mapping/sequence, ``default`` for scalars."""
    return getattr(value, "line", default) or default
