"""A summarizer's generation settings: the model's generation config, and the config's over it.

Tiny BART and T5 built from configs are saved with a generation config as a hub summarizer
ships one (BART-large-CNN: beams, a length penalty, a least and a most length, no repeated
trigrams), then loaded through the target and compared with ``model.generate()`` itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from ffade_text.datasets import TinyNewsDataset
from ffade_text.targets import Seq2SeqSummarizer
from ffade_text.tiny import build_bart, build_t5, build_tokenizer, save

from ffade.errors import FfadeError

ARTICLES = [
    "The city council of Harlow approved a new budget on Monday.",
    "A storm hit Upton on Friday night. Heavy rain flooded 40 homes near the river.",
]
SHIPPED = {  # as a hub summarizer's generation_config.json sets them
    "num_beams": 3,
    "length_penalty": 2.0,
    "min_length": 5,
    "max_length": 9,
    "no_repeat_ngram_size": 2,
    "early_stopping": True,
}


def saved_summarizer(kind: str, folder: Path, **generation: Any) -> Path:
    """A tiny untrained ``kind`` saved with ``save_pretrained`` and these generation settings."""
    from transformers import GenerationConfig

    torch.manual_seed(0)
    texts = [t for pair in TinyNewsDataset().split("finetune")[:40] for t in pair]
    tokenizer = build_tokenizer(texts, vocab_size=400)
    model = {"bart": build_bart, "t5": build_t5}[kind](len(tokenizer))
    settings = model.generation_config.to_diff_dict()
    settings.pop("transformers_version", None)
    model.generation_config = GenerationConfig(**{**settings, **generation})
    return save(model, tokenizer, folder)


def generated(folder: Path, **settings: Any) -> list[str]:
    """What ``model.generate()`` writes for :data:`ARTICLES`, the model loaded on its own."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(ARTICLES, padding=True, return_tensors="pt")
    batch.pop("token_type_ids", None)
    with torch.inference_mode():
        ids = model.generate(**batch, **settings)
    return [s.strip() for s in tokenizer.batch_decode(ids, skip_special_tokens=True)]


@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_the_models_own_generation_config_applies(kind: str, tmp_path: Path) -> None:
    """ffade's num_beams 1 and max_new_tokens 64 overrode a model's generation_config.json: a
    user pointing the target at a hub summarizer got other summaries than model.generate()."""
    folder = saved_summarizer(kind, tmp_path / kind, **SHIPPED)
    target = Seq2SeqSummarizer(str(folder))
    assert target.predict(ARTICLES) == generated(folder)
    own = target.model.generation_config
    assert (own.num_beams, own.max_length, own.min_length) == (3, 9, 5)
    assert own.do_sample is False and target.generation == {"do_sample": False}


def test_the_configs_settings_override_the_models_key_by_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A key the config gives wins over the model's; the others stay the model's. A
    max_new_tokens given over the model's max_length was transformers' "Both `max_new_tokens`
    and `max_length`" warning on stderr at every evaluation."""
    folder = saved_summarizer("bart", tmp_path / "bart", **SHIPPED)
    given = {"num_beams": 1, "max_new_tokens": 6}
    target = Seq2SeqSummarizer(str(folder), generation=given)
    library = logging.getLogger("transformers")  # its records do not reach the root logger
    library.addHandler(caplog.handler)
    try:
        summaries = target.predict(ARTICLES)
    finally:
        library.removeHandler(caplog.handler)
    assert not [r for r in caplog.records if "max_new_tokens" in r.getMessage()]
    assert summaries == generated(folder, **given)
    own = target.model.generation_config
    assert (own.num_beams, own.max_new_tokens, own.no_repeat_ngram_size) == (1, 6, 2)
    assert own.min_length == 5 and own.length_penalty == 2.0


def test_a_model_that_sets_no_length_writes_at_most_64_tokens(tmp_path: Path) -> None:
    """Without a length from the config or the model, transformers would stop at 20 (with a
    warning); ffade's 64 applies, over whatever else the model sets."""
    folder = saved_summarizer("t5", tmp_path / "t5", num_beams=2)
    own = Seq2SeqSummarizer(str(folder)).model.generation_config
    assert (own.max_new_tokens, own.num_beams, own.do_sample) == (64, 2, False)


def test_a_models_max_length_past_its_positions_is_refused(tmp_path: Path) -> None:
    """A model's own max_length past its learned positions was an IndexError mid-search once
    it applied: one line that says where it comes from and what to set."""
    folder = saved_summarizer("bart", tmp_path / "bart", max_length=300)
    with pytest.raises(
        FfadeError,
        match=r"^target 'seq2seq_summarizer': generation: the model's generation_config\.json "
        r"sets max_length 300, more than the 256 tokens the model writes .*; set "
        r"generation\.max_new_tokens to at most 256$",
    ):
        Seq2SeqSummarizer(str(folder))
    Seq2SeqSummarizer(str(folder), generation={"max_new_tokens": 256})  # the fix it names
