"""Line-based three-way merge of concurrently edited SOAP text: no edit is ever lost."""

from __future__ import annotations

import difflib


def _lines(text: str) -> list[str]:
    return text.split("\n")


def merge_three_way(base: str, ours: str, theirs: str) -> str:
    """Merge two edits of ``base`` line by line; overlapping changes keep both sides, so no text is lost."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    base_lines = _lines(base)
    hunks: list[tuple[int, int, list[str], str]] = []
    for side, text in (("theirs", theirs), ("ours", ours)):
        lines = _lines(text)
        matcher = difflib.SequenceMatcher(a=base_lines, b=lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                hunks.append((i1, i2, lines[j1:j2], side))
    hunks.sort(key=lambda hunk: (hunk[0], hunk[1]))
    merged: list[str] = []
    cursor = 0
    index = 0
    while index < len(hunks):
        # Gather every hunk overlapping (or touching at the same insertion point) into one cluster.
        low, high = hunks[index][0], hunks[index][1]
        cluster = [hunks[index]]
        index += 1
        while index < len(hunks) and (
            hunks[index][0] < high or hunks[index][0] == low or hunks[index][0] == high
        ):
            if hunks[index][0] == high and hunks[index][1] > high and high > low:
                break
            cluster.append(hunks[index])
            high = max(high, hunks[index][1])
            index += 1
        merged.extend(base_lines[cursor:low])
        versions: list[list[str]] = []
        for side in ("theirs", "ours"):
            side_hunks = [hunk for hunk in cluster if hunk[3] == side]
            if not side_hunks:
                continue
            region: list[str] = []
            position = low
            for i1, i2, replacement, _side in side_hunks:
                region.extend(base_lines[position:i1])
                region.extend(replacement)
                position = i2
            region.extend(base_lines[position:high])
            versions.append(region)
        if len(versions) == 2 and versions[0] == versions[1]:
            versions.pop()
        for region in versions:
            merged.extend(region)
        cursor = high
    merged.extend(base_lines[cursor:])
    return "\n".join(merged)
