"""Static word embeddings shipped inside the ``wordllama`` wheel, loaded lazily, never downloaded.

WordLlama's ``l2_supercat`` model (256 dimensions, float16, a 32k-token vocabulary) is part of the
package itself. ``WordLlama.load()`` looks for its tokenizer in a folder the wheel does not use and
then tries Hugging Face, so the files are opened here from the installed package directly: no
network, no cache directory. ``wordllama-128`` is the same model cut to its first 128 dimensions
(it is trained so that prefixes work on their own), kept as a measured alternative. Loading costs
about 0.2 s and is done on the first question that needs it, never at start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.resources import files

import numpy as np
import numpy.typing as npt

WORDLLAMA = "wordllama"
WORDLLAMA_128 = "wordllama-128"
DIMENSIONS = 256

Vectors = npt.NDArray[np.float32]
Embed = Callable[[list[str]], Vectors]

_loaded: dict[str, Embed] = {}
_lock = threading.Lock()


def _wordllama(dimensions: int) -> Embed:
    # Cold start: the embedding model's libraries load with the first question in words.
    from safetensors import safe_open  # noqa: PLC0415
    from tokenizers import Tokenizer  # noqa: PLC0415
    from wordllama.inference import WordLlamaInference  # noqa: PLC0415

    package = files("wordllama")
    tokenizer = Tokenizer.from_file(str(package / "tokenizers/l2_supercat_tokenizer_config.json"))
    with safe_open(
        str(package / "weights/l2_supercat_256.safetensors"), framework="np", device="cpu"
    ) as f:
        weights = f.get_tensor("embedding.weight")[:, :dimensions]
    model = WordLlamaInference(weights, tokenizer)

    def embed(texts: list[str]) -> Vectors:
        return np.asarray(model.embed(texts, norm=True), dtype=np.float32)

    return embed


MODELS: dict[str, Callable[[], Embed]] = {
    WORDLLAMA: lambda: _wordllama(DIMENSIONS),
    WORDLLAMA_128: lambda: _wordllama(128),
}


def model(name: str) -> Embed:
    """The named model's embedding function, loaded from disk on first use."""
    if name not in _loaded:
        with _lock:
            if name not in _loaded:
                _loaded[name] = MODELS[name]()
    return _loaded[name]


def embed(texts: list[str], name: str = WORDLLAMA) -> Vectors:
    """Unit-length vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return model(name)(texts)
