"""Real transformer encoders from checkpoints the user has (no hub access; NumPy and the
standard library only, so they run in Pyodide too). API.md §8.

>>> from ruvector_attention import models
>>> sorted(models.__all__)
['BertConfig', 'Encoder', 'EncoderOutput', 'SwapResult', 'WordPiece', 'load', 'read_safetensors', 'swap_study']
"""

from .bert import BertConfig, Encoder, EncoderOutput, load
from .safetensors import read_safetensors
from .study import SwapResult, swap_study
from .wordpiece import WordPiece

__all__ = ["BertConfig", "Encoder", "EncoderOutput", "SwapResult", "WordPiece", "load", "read_safetensors", "swap_study"]
