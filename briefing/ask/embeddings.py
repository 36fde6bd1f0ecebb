"""Static word embeddings shipped inside the ``wordllama`` wheel, loaded lazily, never downloaded.

WordLlama's ``l2_supercat`` model (256 dimensions, float16, a 32k-token vocabulary) is part of the
package itself. ``WordLlama.load()`` looks for its tokenizer in a folder the wheel does not use and
then tries Hugging Face, so the files are opened here from the installed package directly: no
network, no cache directory. Loading costs about 0.2 s and is done on the first question that
needs it, never at start.
"""

from __future__ import annotations

import threading
from importlib.resources import files
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference

MODEL = "l2_supercat"
DIMENSIONS = 256
_TOKENIZER = f"tokenizers/{MODEL}_tokenizer_config.json"
_WEIGHTS = f"weights/{MODEL}_{DIMENSIONS}.safetensors"

Vectors = npt.NDArray[np.float32]

_loaded: dict[str, WordLlamaInference] = {}
_lock = threading.Lock()


def model() -> WordLlamaInference:
    """The model, loaded from the installed wheel on first use."""
    if MODEL not in _loaded:
        with _lock:
            if MODEL not in _loaded:
                from safetensors import safe_open
                from tokenizers import Tokenizer
                from wordllama.inference import WordLlamaInference

                package = files("wordllama")
                tokenizer = Tokenizer.from_file(str(package / _TOKENIZER))
                with safe_open(str(package / _WEIGHTS), framework="np", device="cpu") as f:
                    weights = f.get_tensor("embedding.weight")
                _loaded[MODEL] = WordLlamaInference(weights, tokenizer)
    return _loaded[MODEL]


def embed(texts: list[str]) -> Vectors:
    """Unit-length vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = model().embed(texts, norm=True)
    return np.asarray(vectors, dtype=np.float32)
