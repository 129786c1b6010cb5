"""Hugging Face seq2seq summarizers (BART, T5, ...) as ffade targets.

Inputs are lists of articles (strings, already edited by concepts); ``predict`` returns one
summary string per article, generated in batches on the target's device with the generation
settings from the config. ``features`` is the mean of the encoder's last hidden states over the
article's tokens: what the article looks like to the model, with nothing about its summary.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import torch

from ffade.errors import FfadeError, PluginError, as_written, loading_detail
from ffade.hf_models import check_model_path, check_tokenizer
from ffade.plugin_api import Target, load_weights
from ffade.threads import cpu_threads, require_cpu_threads
from ffade_text.targets._generation import GENERATION_KEYS, apply_generation, check_generation
from ffade_text.targets._reads import length_notes, model_positions, tokens_read

__all__ = ["GENERATION_KEYS", "Seq2SeqSummarizer", "TinyNewsBart", "check_generation", "load"]

BUNDLED_MODEL = Path(__file__).resolve().parents[1] / "models" / "tiny_news_bart"
"""The tiny BART trained here on the bundled corpus (see scripts/train_tiny_news_bart.py)."""

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def offline_hint(model: str, local_files_only: bool = True) -> str:
    """What to do about a hub id that is not in the cache: runs never download by surprise."""
    if not local_files_only:  # a download was asked for and failed: the hub's reason follows
        return "hub id, downloading"
    return (
        f"hub id, not in the Hugging Face cache: fetch it once with `hf download {model}`, or "
        "give a local directory; local_files_only: false downloads it at run time"
    )


class Seq2SeqSummarizer(Target):
    """Any ``AutoModelForSeq2SeqLM`` summarizer, from a hub id or a local directory.

    Args:
        model: a hub id ("facebook/bart-large-cnn") or a directory saved by ``save_pretrained``.
        tokenizer: where the tokenizer lives, when not beside the model.
        generation: settings for ``generate`` (max_new_tokens, num_beams, ...; see
            :data:`GENERATION_KEYS`), each over the model's own ``generation_config.json``;
            the keys left out keep the model's values (see ``targets._generation``).
        prefix: text put before each article, e.g. "summarize: " for T5.
        max_input_tokens: articles are truncated to this many tokens.
        trust_remote_code: run code shipped with a hub model; off unless the config turns it on.
        local_files_only: never reach the hub (the default; always true for a local directory):
            a hub id must be in the Hugging Face cache, so nothing is downloaded by surprise.
        device: where the model and its inputs live.
        dtype: "float32", "bfloat16" or "float16".
        cpu_threads: torch CPU threads while this model runs, fine-tuning included (None:
            torch's default). Small models on a CPU run fastest on one; the count is restored
            after each call.
        weights: a ``torch.save(model.state_dict())`` file loaded over the model, e.g. the
            ``model.pt`` a fine-tuner wrote (read with ``weights_only=True``).
    """

    path_arguments = ("model", "weights")  # recorded absolute: a resume finds them from anywhere

    modality: ClassVar[str] = "text"
    output_kind = "texts"

    def __init__(
        self,
        model: str,
        tokenizer: str | None = None,
        generation: dict[str, Any] | None = None,
        prefix: str = "",
        max_input_tokens: int = 512,
        trust_remote_code: bool = False,
        local_files_only: bool = True,
        device: str = "cpu",
        dtype: str = "float32",
        cpu_threads: int | None = None,
        weights: str | None = None,
    ) -> None:
        super().__init__(device)
        if dtype not in DTYPES:
            raise FfadeError(
                f"target 'seq2seq_summarizer': dtype {as_written(dtype)} is not allowed; "
                f"choose one of {', '.join(DTYPES)}"
            )
        check_generation(generation or {})
        if not isinstance(prefix, str):  # it is joined to each article only when predicting
            raise FfadeError(
                f"target 'seq2seq_summarizer': prefix must be text (\"summarize: \" for T5), "
                f"got {as_written(prefix)}"
            )
        if not _whole(max_input_tokens) or max_input_tokens < 1:
            raise FfadeError(
                f"target 'seq2seq_summarizer': max_input_tokens must be at least 1, "
                f"got {as_written(max_input_tokens)}"
            )
        require_cpu_threads(cpu_threads, "seq2seq_summarizer")
        self.cpu_threads = cpu_threads
        self.name = str(model)
        self.prefix = prefix
        self.max_input_tokens = max_input_tokens
        self.model, self.tokenizer = load(
            str(model),
            tokenizer,
            trust_remote_code=trust_remote_code,
            local_files_only=local_files_only,
            dtype=DTYPES[dtype],
        )
        if weights is not None:
            load_weights(self.model, weights, "seq2seq_summarizer")
        self.model.to(self.device).eval()
        # a model with learned positions (BART) has none past them: see targets._reads
        self.positions = model_positions(self.model)
        self.input_tokens = tokens_read(max_input_tokens, self.positions)
        # over the model's generation_config.json, key by key; never sampling (_generation)
        self.generation = apply_generation(self.model, generation or {}, self.positions)

    def encode(self, articles: Sequence[str]) -> dict[str, torch.Tensor]:
        """Tokenize a batch of articles (with the prefix), padded, truncated, on the device."""
        if isinstance(articles, str):
            raise FfadeError("target 'seq2seq_summarizer': inputs must be a list of articles")
        batch = self.tokenizer(
            [self.prefix + a for a in articles],
            padding=True,
            truncation=True,
            max_length=self.input_tokens,
            return_tensors="pt",
        )
        return {k: v.to(self.device) for k, v in batch.items() if k != "token_type_ids"}

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Any]) -> list[str]:
        """Texts only; notes on what the model reads (see ``targets._reads``)."""
        name = self.plugin_name or "seq2seq_summarizer"
        check_texts(inputs, name)
        return length_notes(
            name,
            self.tokenizer,
            inputs,
            self.max_input_tokens,
            self.positions,
            concepts,
            self.prefix,
        )

    def check_references(self, references: Sequence[Any]) -> None:
        check_summaries(references, self.plugin_name or "seq2seq_summarizer")

    def threads(self) -> AbstractContextManager[None]:
        """Run a block on :attr:`cpu_threads` CPU threads, then restore the previous count."""
        return cpu_threads(self.device, self.cpu_threads)

    def preprocess(self, inputs: Sequence[str]) -> dict[str, torch.Tensor]:
        """The differentiable path's input: ``model(**preprocess(articles), labels=...)``."""
        return self.encode(inputs)

    def predict(self, inputs: Sequence[str]) -> list[str]:
        """One summary per article, generated as one batch."""
        batch = self.encode(inputs)
        with torch.inference_mode(), self.threads():
            ids = self.model.generate(**batch)  # with apply_generation's settings
        return [s.strip() for s in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]

    def features(self, inputs: Sequence[str]) -> torch.Tensor:
        """Mean-pooled encoder states (B, d_model) of the articles."""
        batch = self.encode(inputs)
        with torch.inference_mode(), self.threads():
            states = self.model.get_encoder()(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        return ((states * mask).sum(1) / mask.sum(1).clamp(min=1)).float()

    def describe_outputs(self, outputs: Sequence[str]) -> list[str]:
        """Each summary, shortened to 80 characters."""
        return [_shorten(s, 80) for s in outputs]

    def describe_inputs(self, inputs: Sequence[str]) -> list[str]:
        """Each (edited) article, shortened to 400 characters."""
        return [_shorten(a, 400) for a in inputs]


def check_texts(inputs: Sequence[Any], plugin: str) -> None:
    """Refuse, when the task is built, inputs that are not texts (an image dataset's): they
    would fail at the first evaluation inside the tokenizer, as a TypeError."""
    odd = next((x for x in inputs if not isinstance(x, str)), None)
    if odd is not None:
        raise PluginError(
            f"target '{plugin}' reads texts, but the task's inputs are {type(odd).__name__}: "
            "choose a text dataset (tiny_news, summaries, tiny_sentiment, text_classification) "
            "or a target that takes these inputs"
        )


def check_summaries(references: Sequence[Any], plugin: str) -> None:
    """Refuse, when the task is built, references that are not reference summaries (a text
    classifier's class indices): the summary rewards would fail at the first evaluation."""
    odd = next((x for x in references if not isinstance(x, str)), None)
    if odd is not None:
        raise PluginError(
            f"target '{plugin}' is judged against reference summaries, but the task's references "
            f"are {type(odd).__name__} (e.g. {odd!r}): choose a summary dataset (tiny_news, "
            "summaries) or, for class labels, hf_pipeline with task text-classification"
        )


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 3] + "..."


class TinyNewsBart(Seq2SeqSummarizer):
    """The bundled tiny BART summarizer of the tiny news corpus; no download needed.

    Args:
        generation: settings for ``generate`` over its own (greedy, 32 new tokens).
        device: where the model and its inputs live.
        cpu_threads: torch CPU threads while it runs; one suits a model this small.
        weights: a fine-tuned state dict file to load over the bundled weights.
    """

    def __init__(
        self,
        generation: dict[str, Any] | None = None,
        device: str = "cpu",
        cpu_threads: int | None = 1,
        weights: str | None = None,
    ) -> None:
        try:  # errors name the target the config names, as hf_pipeline's do
            check_generation(generation or {})  # before it is merged with the defaults
            super().__init__(
                str(BUNDLED_MODEL),
                generation={"max_new_tokens": 32, "num_beams": 1, **(generation or {})},
                max_input_tokens=256,
                device=device,
                cpu_threads=cpu_threads,
                weights=weights,
            )
        except FfadeError as exc:
            message = str(exc).replace("target 'seq2seq_summarizer'", "target 'tiny_news_bart'")
            raise PluginError(message) from exc


def load(
    model: str,
    tokenizer: str | None = None,
    trust_remote_code: bool = False,
    local_files_only: bool = True,
    dtype: torch.dtype = torch.float32,
) -> tuple[Any, Any]:
    """Load a seq2seq model and its tokenizer; a missing one is a one-line FfadeError.

    A local directory is read with ``local_files_only`` so that nothing is fetched by surprise.
    """
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    check_model_path(model, "seq2seq_summarizer")
    local = Path(model).expanduser().is_dir()
    only_local = local_files_only or local
    source = str(Path(model).expanduser()) if local else model
    try:
        with quiet_loading():
            net = AutoModelForSeq2SeqLM.from_pretrained(
                source,
                dtype=dtype,
                trust_remote_code=trust_remote_code,
                local_files_only=only_local,
                # transformers does not pass local_files_only on to its LoRA-adapter lookup when
                # peft is installed; without this an offline hub id waits through retries
                adapter_kwargs={"local_files_only": only_local},
            )
            tok = AutoTokenizer.from_pretrained(
                tokenizer or source,
                trust_remote_code=trust_remote_code,
                local_files_only=only_local or bool(tokenizer and Path(tokenizer).is_dir()),
            )
    except (OSError, ValueError) as exc:  # worded "model ...:" for the config's key to name it
        _refuse_decoder_only(model, source, only_local, trust_remote_code, exc)
        bundled = (  # the bundled model goes by a target's name, not a model id
            "; the bundled model is target tiny_news_bart, or model: " + str(BUNDLED_MODEL)
            if model == "tiny_news_bart"
            else ""
        )
        raise PluginError(
            f"target 'seq2seq_summarizer': model {model!r}: cannot load it "
            f"({'local directory' if local else offline_hint(model, only_local)})"
            f"{loading_detail(exc)}{bundled}"
        ) from exc
    check_tokenizer(tok, tokenizer or model, "seq2seq_summarizer")
    return net, tok


def _refuse_decoder_only(
    model: str, source: str, local_files_only: bool, trust_remote_code: bool, exc: Exception
) -> None:
    """A decoder-only model (GPT-2, Llama) was transformers' "Unrecognized configuration class
    ... for this kind of AutoModel" line: say what it is and what the target takes instead.

    An encoder-only one (BERT, a text classifier's base) was called decoder-only too; a model
    type with a masked-LM head is an encoder (decoder-only types have none), so it is named so.
    """
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    try:
        config = AutoConfig.from_pretrained(
            source, local_files_only=local_files_only, trust_remote_code=trust_remote_code
        )
    except (OSError, ValueError):
        return  # no readable config: the loading error says why
    if getattr(config, "is_encoder_decoder", False):
        return
    kind = getattr(config, "model_type", None) or type(config).__name__
    shape = "an encoder-only" if kind in MODEL_FOR_MASKED_LM_MAPPING_NAMES else "a decoder-only"
    raise PluginError(
        f"target 'seq2seq_summarizer': {model!r} is {shape} model ({kind}), which "
        "ffade_text does not run: summarization here takes an encoder-decoder model "
        "(AutoModelForSeq2SeqLM: BART, T5, Marian, Pegasus, ...)"
    ) from exc


@contextmanager
def quiet_loading() -> Iterator[None]:
    """transformers' "Loading weights" bar off while a model loads, then as it was.

    Local models load in a blink, and a mistake found just after loading (a label the model
    lacks) was the bar on stderr and then the one-line error: two lines, not one.
    """
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()  # its table of missing weights: check_trained_head says it
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if was_enabled:
            hf_logging.enable_progress_bar()
