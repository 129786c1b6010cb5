"""Tiny seq2seq models and tokenizers built from configs, offline, in seconds.

The bundled ``tiny_news_bart`` is trained from :func:`build_tokenizer` and :func:`build_bart`
(see ``scripts/train_tiny_news_bart.py``), and tests build untrained tiny BART and T5 models the
same way, so the code paths of ``configs/bart.yaml`` and ``configs/t5.yaml`` run without weights
from the hub.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ffade.hf_models import quiet_saving
from ffade.records import write_text_atomic

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
"""Special tokens in BART's id order: bos 0, pad 1, eos 2, unk 3, mask 4."""


def build_tokenizer(texts: Iterable[str], vocab_size: int = 1000, max_length: int = 256):
    """A byte-level BPE tokenizer trained on ``texts``, as a ``PreTrainedTokenizerFast``.

    Byte-level means any text tokenizes, typos included: an edited word becomes rarer pieces,
    never an unknown token, as with the real BART and T5 tokenizers.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=max_length,
    )


def build_bart(vocab_size: int, d_model: int = 128, layers: int = 2, max_length: int = 256):
    """A small ``BartForConditionalGeneration`` whose ids match :data:`SPECIAL_TOKENS`."""
    from transformers import BartConfig, BartForConditionalGeneration

    config = BartConfig(
        vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=2 * d_model,
        decoder_ffn_dim=2 * d_model,
        max_position_embeddings=max_length,
        dropout=0.1,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
    )
    return BartForConditionalGeneration(config)


def build_t5(vocab_size: int, d_model: int = 64, layers: int = 2):
    """A small ``T5ForConditionalGeneration`` whose ids match :data:`SPECIAL_TOKENS`."""
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(
        vocab_size=vocab_size,
        d_model=d_model,
        d_kv=d_model // 4,
        d_ff=2 * d_model,
        num_layers=layers,
        num_decoder_layers=layers,
        num_heads=4,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
    )
    return T5ForConditionalGeneration(config)


def build_classifier(vocab_size: int, labels: list[str], hidden: int = 64, layers: int = 2):
    """A small ``BertForSequenceClassification`` whose pad id matches :data:`SPECIAL_TOKENS`.

    It pools the first token, which :func:`build_tokenizer`'s ``<s>`` always is.
    """
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=256,
        pad_token_id=1,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    return BertForSequenceClassification(config)


def save_tiny(kind: str, texts: Iterable[str], folder: str | Path, seed: int = 0) -> Path:
    """Build an untrained tiny ``kind`` ("bart" or "t5") with a tokenizer and save both.

    The folder then loads like a hub model: ``AutoModelForSeq2SeqLM.from_pretrained(folder)``.
    """
    import torch

    builders = {"bart": build_bart, "t5": build_t5}
    if kind not in builders:
        raise ValueError(f"kind {kind!r} is not allowed; choose one of {', '.join(builders)}")
    torch.manual_seed(seed)
    tokenizer = build_tokenizer(texts, vocab_size=400)
    model = builders[kind](len(tokenizer))
    return save(model, tokenizer, folder)


def save(model, tokenizer, folder: str | Path) -> Path:
    """Save a model and its tokenizer so that transformers 4 and 5 both load them.

    transformers 5 records its own tokenizer class name, which version 4 does not know; the
    generic ``PreTrainedTokenizerFast`` reads the same ``tokenizer.json`` in both.
    """
    folder = Path(folder)
    with quiet_saving():
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    write_text_atomic(config_file, json.dumps(config, indent=2) + "\n")
    for file in folder.iterdir():
        file.chmod(0o644)  # safetensors writes 0600; the bundled files must be readable by all
    return folder
