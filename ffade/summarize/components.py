"""Connected groups of failing states on a concept grid, at a cost that grows with the failing
states and the concepts, never with 3 to the power of the concepts.

``scipy.ndimage.label`` needs a neighbourhood structure of 3^k cells for k concepts: at twenty
concepts of two values each (a 10^6-state grid) building it asked numpy for 520 GiB and
``ffade report`` died with a MemoryError. Here each failing state looks up only its 2k grid
neighbours among the failing states (a sorted array), and scipy's sparse connected components
joins them.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def connected_groups(members: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    """Each connected group of ``members`` (flat row-major indices of cells of a grid shaped
    ``shape``, ascending), as flat indices.

    Two cells are neighbours when they differ by one step along exactly one axis (what
    ``ndimage.label`` calls connectivity 1). Groups come in the order of their first cell in
    row-major order, each sorted, as ``ndimage.label``'s labels number them. The grid itself is
    never built: a run of thousands of evaluations on a grid of 10^10 states costs thousands.
    """
    members = np.asarray(members, dtype=np.int64)
    if not members.size:
        return []
    strides = [int(np.prod(shape[i + 1 :], dtype=np.int64)) for i in range(len(shape))]
    rows, cols = [], []
    for size, stride in zip(shape, strides, strict=True):
        # only the neighbour one step up: the step down is the same edge seen from the other end
        has_up = (members // stride) % size < size - 1
        up = members[has_up] + stride
        found = np.minimum(np.searchsorted(members, up), members.size - 1)
        hit = members[found] == up
        rows.append(np.flatnonzero(has_up)[hit])
        cols.append(found[hit])
    row, col = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(row.size, np.int8), (row, col)), shape=(members.size,) * 2)
    count, labels = connected_components(graph, directed=False)
    # number the groups by their first cell, whatever order scipy found them in
    first = np.full(count, members.size)
    np.minimum.at(first, labels, np.arange(members.size))
    rank = np.argsort(np.argsort(first))[labels]
    order = np.argsort(rank, kind="stable")  # members are sorted, so each group stays sorted
    return np.split(members[order], np.flatnonzero(np.diff(rank[order])) + 1)
