"""Hugging Face ``pipeline`` targets for text: ``text-classification`` and ``summarization``.

The model is read from a local directory, a hub id already in the Hugging Face cache, or a name
of a model bundled here (``tiny_sentiment``, ``tiny_news_bart``); nothing is downloaded unless
``local_files_only`` is turned off, and a model that is not there is a one-line error.

``text-classification`` runs ``transformers.pipeline`` and returns log-probabilities
(B, num_classes) whose columns follow ``labels``, the dataset's label names in reference order,
so rewards compare them with the dataset's class indices (``label_flip``,
``label_confidence_drop``); it is trainable: ``model(preprocess(texts))`` gives them with
gradients (:class:`ClassScores`), for ``ffade.mitigate.ClassifierFineTuner``.
``summarization`` returns one summary string per text, for the BLEU and ROUGE rewards;
transformers 5 dropped its summarization pipeline, so it runs what that pipeline ran,
tokenize, ``generate``, decode, through :class:`Seq2SeqSummarizer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch

from ffade.errors import FfadeError, PluginError, as_written, loading_detail
from ffade.hf_models import check_model_path, check_tokenizer, check_trained_head, label_columns
from ffade.plugin_api import Target, load_weights
from ffade.plugin_checks import check_class_references
from ffade.shown_numbers import share
from ffade_text.targets._reads import length_notes, model_positions, tokens_read
from ffade_text.targets.seq2seq import (
    Seq2SeqSummarizer,
    check_summaries,
    check_texts,
    offline_hint,
    quiet_loading,
)

MODELS = Path(__file__).resolve().parents[1] / "models"
BUNDLED = {"tiny_sentiment": MODELS / "tiny_sentiment", "tiny_news_bart": MODELS / "tiny_news_bart"}
"""Models shipped with ffade-text, usable by name as ``model``."""

TASKS = ("text-classification", "summarization")
NAME = "hf_pipeline"


def model_source(model: str) -> tuple[str, bool]:
    """The path or hub id to load, and whether it is a local directory."""
    if model in BUNDLED:
        return str(BUNDLED[model]), True
    check_model_path(model, NAME)
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path), True
    return model, False


class HFTextPipeline(Target):
    """A ``transformers.pipeline`` for a text task, as an ffade target.

    Args:
        task: "text-classification" or "summarization".
        model: a local directory, a hub id in the Hugging Face cache, or a bundled model name.
        labels: text-classification only: the dataset's label names in reference order, each
            one of the model's labels (case does not matter); default the model's own order.
        generation: summarization only: settings for ``generate`` (max_new_tokens, ...),
            each over the model's own generation config, as ``seq2seq_summarizer``'s.
        max_input_tokens: texts are truncated to this many tokens.
        local_files_only: never reach the hub (on by default: runs are offline).
        batch_size: texts per forward pass inside the pipeline.
        weights: a ``torch.save(model.state_dict())`` file loaded over the model.
        device: where the model runs ("cpu", "cuda", "cuda:1").
    """

    path_arguments = ("model", "weights")  # recorded absolute: a resume finds them from anywhere

    modality: ClassVar[str] = "text"

    def __init__(
        self,
        task: str,
        model: str,
        labels: Sequence[str] | None = None,
        generation: dict[str, Any] | None = None,
        max_input_tokens: int = 512,
        local_files_only: bool = True,
        batch_size: int = 64,
        weights: str | None = None,
        device: str = "cpu",
    ) -> None:
        super().__init__(device)
        if task not in TASKS:
            hint = (
                "; image-classification is ffade-vision's hf_image_pipeline"
                if "image" in task
                else ""
            )
            raise PluginError(
                f"target '{NAME}': task {as_written(task)} is not allowed; choose one of "
                f"{', '.join(TASKS)}{hint}"
            )
        if labels is not None and task != "text-classification":
            raise PluginError(f"target '{NAME}': labels are for text-classification only")
        if generation is not None and task != "summarization":
            raise PluginError(f"target '{NAME}': generation is for summarization only")
        for key, value in (("max_input_tokens", max_input_tokens), ("batch_size", batch_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise PluginError(
                    f"target '{NAME}': {key} must be a whole number, at least 1; got "
                    f"{as_written(value)}"
                )
        self.task = task
        self.output_kind = "class_scores" if task == "text-classification" else "texts"
        self.max_input_tokens = max_input_tokens
        self.batch_size = batch_size
        self.summarizer: Seq2SeqSummarizer | None = None
        self.columns: list[int] = []
        if task == "summarization":
            source, _ = model_source(model)
            try:
                self.summarizer = Seq2SeqSummarizer(
                    source,
                    generation=generation,
                    max_input_tokens=max_input_tokens,
                    local_files_only=local_files_only,
                    device=device,
                    weights=weights,
                )
            except FfadeError as exc:  # name the target and the model as the config names them
                message = str(exc).replace("target 'seq2seq_summarizer'", f"target '{NAME}'")
                # a bundled name was said as the folder it stands for, which the user never typed
                raise PluginError(message.replace(repr(source), repr(model))) from exc
            self.net, self.tokenizer = self.summarizer.model, self.summarizer.tokenizer
            self.model = self.net  # no preprocess: not trainable as hf_pipeline (docs/plugins.md)
            return
        self.net, self.tokenizer = _load(model, local_files_only)
        if weights is not None:
            load_weights(self.net, weights, NAME)
        self.net.to(self.device).eval()
        self.positions = model_positions(self.net)  # no more is read: see targets._reads
        self.input_tokens = tokens_read(max_input_tokens, self.positions)
        names = [str(self.net.config.id2label[i]) for i in range(self.net.config.num_labels)]
        self.columns = label_columns(names, labels, NAME, "[negative, positive]")
        # trainable (docs/plugins.md, Trainable targets): ffade.mitigate.ClassifierFineTuner
        # trains model(preprocess(texts)), the log-probabilities predict gives, with gradients;
        # a model with tensors outside its modules is searched, but not trainable here
        self.model = ClassScores(self.net, self.columns) if _modules_only(self.net) else self.net
        if isinstance(self.model, ClassScores):
            self.preprocess = self._tokenize

    @property
    def pipeline(self) -> Any:
        """The ``transformers.pipeline`` over the loaded model, made on first use."""
        if not hasattr(self, "_pipeline"):
            from transformers import pipeline

            self._pipeline = pipeline(
                self.task, model=self.net, tokenizer=self.tokenizer, device=self.device
            )
        return self._pipeline

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Any]) -> list[str]:
        check_texts(inputs, NAME)
        if self.summarizer is None:
            return length_notes(
                NAME, self.tokenizer, inputs, self.max_input_tokens, self.positions, concepts
            )
        notes = self.summarizer.check_task(inputs, concepts)
        return [note.replace("target 'seq2seq_summarizer'", f"target '{NAME}'") for note in notes]

    def check_references(self, references: Sequence[Any]) -> None:
        """A classifier's references must be class indices it scores: one past its labels (a
        3-class dataset, a 2-label model) was refused only at the first evaluation."""
        if self.summarizer is not None:
            check_summaries(references, NAME)
            return
        scored = [str(self.net.config.id2label[c]) for c in self.columns]
        fix = (
            "list one of the model's labels per dataset class, in the dataset's order, in labels "
            "(a model with fewer labels than the dataset's classes cannot be judged on it)"
        )
        check_class_references(
            references, len(scored), NAME, fix, scored_by=f"labels {scored} score"
        )

    def _texts(self, inputs: Sequence[str]) -> list[str]:
        if isinstance(inputs, str) or not all(isinstance(t, str) for t in inputs):
            raise PluginError(f"target '{NAME}': inputs must be a list of texts")
        return list(inputs)

    def predict(self, inputs: Sequence[str]) -> torch.Tensor | list[str]:
        """Log-probabilities (B, len(labels)) for classification; summaries for summarization."""
        texts = self._texts(inputs)
        if self.summarizer is not None:
            return self.summarizer.predict(texts)
        options = {"truncation": True, "batch_size": self.batch_size}
        with torch.inference_mode():
            out = self.pipeline(texts, top_k=None, max_length=self.input_tokens, **options)
        label2id = {str(k): v for k, v in self.net.config.label2id.items()}
        table = torch.zeros(len(texts), self.net.config.num_labels)
        for row, scores in enumerate(out):
            for entry in scores:
                table[row, label2id[str(entry["label"])]] = entry["score"]
        return table[:, self.columns].clamp_min(1e-8).log()

    def _tokenize(self, inputs: Sequence[str]) -> dict[str, torch.Tensor]:
        """The classifier's input for ``model``: token ids, truncated as ``predict``'s, where a
        fine-tuner moved the model."""
        return self._tokens(inputs, next(self.net.parameters()).device)

    def _tokens(self, inputs: Sequence[str], device: Any) -> dict[str, torch.Tensor]:
        batch = self.tokenizer(
            self._texts(inputs),
            padding=True,
            truncation=True,
            max_length=self.input_tokens,
            return_tensors="pt",
        )
        return {k: v.to(device) for k, v in batch.items()}

    def features(self, inputs: Sequence[str]) -> torch.Tensor:
        """Mean-pooled last hidden states (B, d) of the texts (the encoder's, for seq2seq
        summarizers and for encoder-decoder classifiers, whose outputs hold no ``hidden_states``).
        """
        if self.summarizer is not None:
            return self.summarizer.features(self._texts(inputs))
        batch = self._tokens(inputs, self.device)
        batch.pop("token_type_ids", None)
        with torch.inference_mode():
            if self.net.config.is_encoder_decoder:  # BART-style classifiers (bart-large-mnli)
                states = self.net.get_encoder()(**batch).last_hidden_state
            else:
                states = self.net(**batch, output_hidden_states=True).hidden_states[-1]
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        return ((states * mask).sum(1) / mask.sum(1).clamp(min=1)).float()

    def describe_outputs(self, outputs: Any) -> list[str]:
        """ "predicted <label> (p=...)" per text, or each summary shortened."""
        if self.summarizer is not None:
            return self.summarizer.describe_outputs(outputs)
        names = [self.net.config.id2label[c] for c in self.columns]
        confidence, predicted = outputs.softmax(-1).max(-1)
        return [
            f"predicted {names[i]} (p={share(p)})"
            for i, p in zip(predicted.tolist(), confidence.tolist(), strict=True)
        ]

    def describe_references(self, references: Sequence[Any]) -> list[str] | None:
        """Each class index's label, as predictions are named; a summarizer's: as they are."""
        if self.summarizer is not None:
            return None
        names = [self.net.config.id2label[c] for c in self.columns]
        try:
            return [names[int(r)] for r in references]
        except (TypeError, ValueError, IndexError):  # not class indices of this model
            return None

    def describe_inputs(self, inputs: Sequence[str]) -> list[str]:
        """Each (edited) text, shortened to 400 characters."""
        return [t if len(t) <= 400 else t[:397] + "..." for t in inputs]


class ClassScores(torch.nn.Module):
    """A sequence classifier as fine-tuners train it: ``model(**tokens)`` in, log-probabilities
    (B, len(labels)) in the dataset's label order out, as ``predict`` returns them. It holds the
    Hugging Face model's own modules, so its state dict is that model's (the same keys): a
    fine-tune's ``model.pt`` loads with ``weights``, as a state dict saved from the model does."""

    def __init__(self, net: torch.nn.Module, columns: Sequence[int]) -> None:
        super().__init__()
        assert _modules_only(net), "the modules are shared below, not tensors of the model's own"
        for name, child in net.named_children():
            self.add_module(name, child)
        object.__setattr__(self, "net", net)  # not a submodule: its modules are this one's
        self.columns = list(columns)
        self.config = net.config

    def forward(self, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = self.net(**tokens).logits.float()
        return logits.log_softmax(-1)[:, self.columns]

    def train(self, mode: bool = True) -> ClassScores:
        self.net.train(mode)
        return super().train(mode)


def _modules_only(net: torch.nn.Module) -> bool:
    """Whether every tensor of ``net`` is in one of its modules, as :class:`ClassScores` needs."""
    return not (dict(net.named_parameters(recurse=False)) or dict(net.named_buffers(recurse=False)))


def _load(model: str, local_files_only: bool) -> tuple[Any, Any]:
    """A sequence classifier and its tokenizer; a missing one is a one-line PluginError."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    source, local = model_source(model)
    only_local = local_files_only or local
    try:
        with quiet_loading():
            net, info = AutoModelForSequenceClassification.from_pretrained(
                source,
                local_files_only=only_local,
                adapter_kwargs={"local_files_only": only_local},
                output_loading_info=True,
            )
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=only_local)
    except (OSError, ValueError) as exc:  # worded "model ...:" for the config's key to name it
        where = "local directory" if local else offline_hint(model, only_local)
        raise PluginError(
            f"target '{NAME}': model {model!r}: cannot load it for text-classification ({where})"
            f"{loading_detail(exc)}"
        ) from exc
    check_trained_head(info, model, NAME, "text-classification")
    check_tokenizer(tokenizer, model, NAME)
    return net, tokenizer
