"""Building an RFC 9162 tree from perfect subtrees: roots, proofs, appends (for a store).

Builders raise :class:`ValueError` when a caller breaks a stated precondition; that
is a bug in the caller, never a property of user input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger_service.core.merkle.hashing import (
    EMPTY_ROOT,
    HASH_SIZE,
    NODE_PREFIX,
    NodeGetter,
    describe,
    is_size,
    sha256,
)


def _check_range(start: int, end: int) -> None:
    if not (is_size(start) and is_size(end)) or not 0 <= start <= end:
        raise ValueError(f"expected a leaf range 0 <= start <= end, found [{start!r}, {end!r})")


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Tile the leaf range ``[start, end)`` with maximal perfect subtrees.

    Returns ``(level, index)`` pairs left to right, largest first; the range's MTH
    is the right fold of their hashes (:func:`range_hash`). An empty range gives
    ``[]``. ``perfect_subtrees(0, n)`` is the frontier of a tree of size ``n``.

    Precondition: ``0 <= start <= end`` and, if the range is not empty, ``start`` is
    a multiple of the largest power of two ``<= end - start`` (true of every range
    in an RFC 9162 proof and of every prefix ``[0, n)``).

    Raises:
        ValueError: the precondition does not hold.
    """
    _check_range(start, end)
    width = end - start
    if width == 0:
        return []
    top = width.bit_length() - 1
    if start & ((1 << top) - 1):
        raise ValueError(
            f"expected start to be a multiple of {1 << top} for the range "
            f"[{start}, {end}), found start={start}"
        )
    out: list[tuple[int, int]] = []
    pos = start
    for level in range(top, -1, -1):
        if width >> level & 1:
            out.append((level, pos >> level))
            pos += 1 << level
    return out


def range_hash(start: int, end: int, get: NodeGetter) -> bytes:
    """Return MTH(D[start:end]) from perfect subtree hashes fetched with ``get``.

    ``get(level, index)`` must return the 32-byte hash of that perfect subtree.
    The RFC splits a range at the largest power of two below its width, so its
    MTH is ``node(P1, node(P2, ... node(Pk-1, Pk)))`` over the tiles of
    :func:`perfect_subtrees`: a right fold. An empty range hashes to
    :data:`EMPTY_ROOT`.

    Raises:
        ValueError: the range breaks the precondition of :func:`perfect_subtrees`,
            or ``get`` returned something that is not 32 bytes (a corrupt store).
    """
    tiles = perfect_subtrees(start, end)
    if not tiles:
        return EMPTY_ROOT
    acc: bytes | None = None
    for level, index in reversed(tiles):
        h = get(level, index)
        if type(h) is not bytes or len(h) != HASH_SIZE:
            raise ValueError(
                f"expected a {HASH_SIZE}-byte hash for node ({level}, {index}), found {describe(h)}"
            )
        acc = h if acc is None else sha256(NODE_PREFIX + h + acc).digest()
    assert acc is not None
    return acc


def _split(width: int) -> int:
    """Largest power of two strictly below ``width`` (RFC 9162's k); needs width > 1."""
    return 1 << ((width - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTH are the elements of PATH(index, D[size]), bottom first.

    RFC 9162 section 2.1.3.1: at each split the path records the MTH of the side
    that does not hold the leaf; the deepest sibling comes first.

    Precondition: ``0 <= index < size``. Raises ValueError otherwise.
    """
    if not (is_size(index) and is_size(size)) or not 0 <= index < size:
        raise ValueError(f"expected 0 <= index < size, found index={index!r}, size={size!r}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            out.append((mid, hi))
            hi = mid
        else:
            out.append((lo, mid))
            lo = mid
    out.reverse()
    return out


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTH are the elements of PROOF(size1, D[size2]), in proof order.

    RFC 9162 section 2.1.4.1 (SUBPROOF with b = true at the top); empty when
    ``size1 == size2``.

    Precondition: ``0 < size1 <= size2``. Raises ValueError otherwise.
    """
    if not (is_size(size1) and is_size(size2)) or not 0 < size1 <= size2:
        raise ValueError(f"expected 0 < size1 <= size2, found size1={size1!r}, size2={size2!r}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size2
    # b of SUBPROOF: true while the subtree [lo, hi) still starts at leaf 0, i.e. while
    # its left edge is the old tree's left edge and its MTH is known to the verifier
    whole_old_tree_known = True
    while size1 != hi:
        mid = lo + _split(hi - lo)
        if size1 <= mid:
            out.append((mid, hi))
            hi = mid
        else:
            out.append((lo, mid))
            lo = mid
            whole_old_tree_known = False
    if not whole_old_tree_known:
        out.append((lo, hi))
    out.reverse()
    return out


def needed_nodes(ranges: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Every perfect subtree ``(level, index)`` needed to hash all ``ranges``.

    Lets a store fetch a proof's nodes in one query before calling the builders.

    Raises:
        ValueError: a range breaks the precondition of :func:`perfect_subtrees`.
    """
    out: set[tuple[int, int]] = set()
    for start, end in ranges:
        out.update(perfect_subtrees(start, end))
    return out


def inclusion_proof(index: int, size: int, get: NodeGetter) -> list[bytes]:
    """Return the RFC 9162 inclusion proof PATH(index, D[size]) (bottom first).

    Precondition: ``0 <= index < size`` and ``get`` knows every node of
    ``needed_nodes(inclusion_ranges(index, size))``. Raises ValueError otherwise.
    """
    return [range_hash(s, e, get) for s, e in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, get: NodeGetter) -> list[bytes]:
    """Return the RFC 9162 consistency proof PROOF(size1, D[size2]).

    Precondition: ``0 < size1 <= size2`` and ``get`` knows every node of
    ``needed_nodes(consistency_ranges(size1, size2))``. Raises ValueError otherwise.
    """
    return [range_hash(s, e, get) for s, e in consistency_ranges(size1, size2)]


def root(size: int, get: NodeGetter) -> bytes:
    """Return MTH(D[0:size]); :data:`EMPTY_ROOT` for size 0.

    Raises:
        ValueError: ``size`` is negative or ``get`` returned a malformed hash.
    """
    return range_hash(0, size, get)


def perfect_subtree_hash(hashes: Sequence[bytes]) -> bytes:
    """Return the hash of the perfect subtree whose nodes at some level are ``hashes``.

    ``hashes`` are the ``2**k`` consecutive 32-byte node hashes, left to right, at
    one level under a perfect subtree of height ``k`` above them (k = 0 returns the
    single hash). Lets a store keep only some levels and hash the others up.

    Raises:
        ValueError: the count is not a power of two, or a hash is not 32 bytes.
    """
    count = len(hashes)
    if count == 0 or count & (count - 1):
        raise ValueError(f"expected a power-of-two number of hashes, found {count}")
    for h in hashes:
        if type(h) is not bytes or len(h) != HASH_SIZE:
            raise ValueError(f"expected {HASH_SIZE}-byte hashes, found {describe(h)}")
    level = list(hashes)
    while len(level) > 1:
        it = iter(level)
        level = [sha256(NODE_PREFIX + a + b).digest() for a, b in zip(it, it, strict=True)]
    return level[0]


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """Return the root of a tree from its frontier (hashes of ``perfect_subtrees(0, n)``).

    :data:`EMPTY_ROOT` for an empty frontier. Lets a store get the new root
    straight from :func:`append_leaves` without another lookup. Precondition: the
    hashes are the 32-byte frontier of some tree (not re-checked here).
    """
    acc = EMPTY_ROOT
    for i, h in enumerate(reversed(frontier)):
        acc = h if i == 0 else sha256(NODE_PREFIX + h + acc).digest()
    return acc


def append_leaves(
    size: int, frontier: Sequence[bytes], leaf_hashes: Sequence[bytes]
) -> tuple[list[tuple[int, int, bytes]], list[bytes]]:
    """Append leaves to a tree of ``size`` leaves, given only its frontier.

    Args:
        size: leaves already in the tree.
        frontier: hashes of ``perfect_subtrees(0, size)``, left to right.
        leaf_hashes: RFC 9162 leaf hashes (32 bytes each) of the new entries.

    Returns:
        ``(nodes, new_frontier)``: every perfect subtree completed by the append
        as ``(level, index, hash)`` -- the level-0 entries of the new leaves
        included, each node listed once, children before parents -- and the
        frontier of the tree of ``size + len(leaf_hashes)`` leaves.

    Raises:
        ValueError: ``size`` is negative, the frontier does not have one 32-byte
            hash per set bit of ``size``, or a leaf hash is not 32 bytes.
    """
    if not is_size(size) or size < 0:
        raise ValueError(f"expected a tree size >= 0, found {size!r}")
    want = size.bit_count()
    if len(frontier) != want:
        raise ValueError(
            f"expected a frontier of {want} hashes for size {size}, found {len(frontier)}"
        )
    for h in frontier:
        if type(h) is not bytes or len(h) != HASH_SIZE:
            raise ValueError(f"expected {HASH_SIZE}-byte frontier hashes, found {describe(h)}")
    # Checked before any hashing so a bad batch yields nothing half-appended.
    if leaf_hashes and (
        set(map(type, leaf_hashes)) != {bytes} or set(map(len, leaf_hashes)) != {HASH_SIZE}
    ):
        bad = next(h for h in leaf_hashes if type(h) is not bytes or len(h) != HASH_SIZE)
        raise ValueError(f"expected {HASH_SIZE}-byte leaf hashes, found {describe(bad)}")

    # Level by level: at each level the completed new nodes form one run, preceded
    # by the frontier's pending left sibling when the old tree had an odd count
    # there; pairing the sequence gives the next level's run, and an odd one out
    # is the new frontier's node at this level. Each hash is computed once.
    pending = {lv: h for lv, h in zip(_set_bits_high_first(size), frontier, strict=True)}
    sha = sha256
    prefix = NODE_PREFIX
    nodes: list[tuple[int, int, bytes]] = [(0, size + i, h) for i, h in enumerate(leaf_hashes)]
    new_frontier: list[bytes] = []
    run = list(leaf_hashes)
    end = size + len(leaf_hashes)
    level = 0
    while end >> level:
        old = size >> level
        seq = [pending[level], *run] if old & 1 else run
        if len(seq) & 1:
            new_frontier.append(seq[-1])
        it = iter(seq)
        # strict=False: an odd one out was kept in new_frontier just above
        run = [sha(prefix + a + b).digest() for a, b in zip(it, it, strict=False)]
        level += 1
        first = size >> level
        nodes.extend([(level, first + i, h) for i, h in enumerate(run)])
    new_frontier.reverse()
    return nodes, new_frontier


def _set_bits_high_first(n: int) -> list[int]:
    """Positions of the 1-bits of ``n``, highest first (the levels of its frontier)."""
    return [lv for lv in range(n.bit_length() - 1, -1, -1) if n >> lv & 1]


def _in_memory_nodes(leaf_hashes: Sequence[bytes]) -> dict[tuple[int, int], bytes]:
    nodes, _ = append_leaves(0, [], leaf_hashes)
    return {(level, index): h for level, index, h in nodes}


def _getter(leaf_hashes: Sequence[bytes], size: int) -> NodeGetter:
    if not is_size(size) or not 0 <= size <= len(leaf_hashes):
        raise ValueError(
            f"expected 0 <= size <= {len(leaf_hashes)} leaves given, found size={size!r}"
        )
    nodes = _in_memory_nodes(leaf_hashes[:size])
    return lambda level, index: nodes[level, index]


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH over the given leaf hashes (:data:`EMPTY_ROOT` if none). For tests/tools.

    Raises:
        ValueError: a leaf hash is not 32 bytes.
    """
    _, frontier = append_leaves(0, [], leaf_hashes)
    return root_from_frontier(frontier)


def inclusion_proof_from_leaves(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PATH(index, D[size]) over the first ``size`` of ``leaf_hashes``. For tests/tools.

    Precondition: ``0 <= index < size <= len(leaf_hashes)``. Raises ValueError otherwise.
    """
    return inclusion_proof(index, size, _getter(leaf_hashes, size))


def consistency_proof_from_leaves(
    size1: int, size2: int, leaf_hashes: Sequence[bytes]
) -> list[bytes]:
    """Return PROOF(size1, D[size2]) over the first ``size2`` of ``leaf_hashes``. For tests/tools.

    Precondition: ``0 < size1 <= size2 <= len(leaf_hashes)``. Raises ValueError otherwise.
    """
    return consistency_proof(size1, size2, _getter(leaf_hashes, size2))
