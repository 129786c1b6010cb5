"""Seq2seq summarizer targets: tiny BART and T5 from configs, the bundled model, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from ffade_text.datasets import TinyNewsDataset
from ffade_text.targets import Seq2SeqSummarizer, TinyNewsBart
from ffade_text.targets.seq2seq import BUNDLED_MODEL

from ffade import registry
from ffade.errors import FfadeError
from tests.helpers import REPO, ffade_in_process

ARTICLES = [
    "The city council of Harlow approved a new budget on Monday.",
    "A storm hit Upton on Friday night. Heavy rain flooded 40 homes near the river.",
    "Rovers defeated Lions 3 to 1.",
]


@pytest.mark.parametrize("kind", ["tiny_bart", "tiny_t5"])
def test_predict_and_features_in_batches(kind: str, request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue(kind)
    target = registry.create(
        "target",
        "seq2seq_summarizer",
        {"model": str(folder), "generation": {"max_new_tokens": 6, "num_beams": 2}},
    )
    assert target.modality == "text" and not target.model.training
    summaries = target.predict(ARTICLES)
    assert isinstance(summaries, list) and len(summaries) == 3
    assert all(isinstance(s, str) for s in summaries)
    assert target.predict(ARTICLES) == summaries  # greedy/beam search: memoizable
    features = target.features(ARTICLES)
    assert features.shape == (3, target.model.config.d_model) and features.dtype == torch.float32
    # padding must not leak into an article's embedding
    assert torch.allclose(target.features(ARTICLES[:1])[0], features[0], atol=1e-5)


def test_describe_outputs_shortens(tiny_bart: Path) -> None:
    target = Seq2SeqSummarizer(str(tiny_bart))
    assert target.describe_outputs(["short", "x" * 200]) == ["short", "x" * 77 + "..."]


def test_bundled_tiny_news_bart_summarizes_unseen_articles() -> None:
    target = registry.create("target", "tiny_news_bart")
    article, reference = TinyNewsDataset().split("heldout")[0]
    assert target.predict([article]) == [reference]
    assert target.cpu_threads == 1 and torch.get_num_threads() >= 1


def test_remote_code_stays_off_unless_asked(
    tiny_bart: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transformers

    seen = []
    real = transformers.AutoModelForSeq2SeqLM.from_pretrained

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForSeq2SeqLM, "from_pretrained", spy)
    Seq2SeqSummarizer(str(tiny_bart))
    Seq2SeqSummarizer(str(tiny_bart), trust_remote_code=True)
    assert [k["trust_remote_code"] for k in seen] == [False, True]
    assert all(k["local_files_only"] for k in seen)  # a local directory never reaches the hub


def test_errors_are_one_line(tiny_bart: Path, tmp_path: Path) -> None:
    with pytest.raises(
        FfadeError, match=r"'\./nowhere': no such folder /\S+/nowhere; download the model there"
    ):
        Seq2SeqSummarizer("./nowhere")
    fetch = r"model 'no-such-org/no-such-model': cannot load it \(hub id, not in the Hugging Face "
    fetch += "cache: "
    with pytest.raises(FfadeError, match=fetch + "fetch it once with `hf download no-such-org/"):
        Seq2SeqSummarizer("no-such-org/no-such-model")  # cache only, by default: no download
    with pytest.raises(FfadeError, match=r"downloads it at run time\)$"):
        Seq2SeqSummarizer("no-such-org/no-such-model")  # not transformers' "couldn't connect"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FfadeError, match=r"model '.*empty' has no config.json; give the dir"):
        Seq2SeqSummarizer(str(empty))  # not transformers' "Should have a `model_type` key"
    with pytest.raises(
        FfadeError,
        match=r"generation\.temperature is not allowed; allowed generation keys: max_new_tokens",
    ):
        Seq2SeqSummarizer(str(tiny_bart), generation={"temperature": 0.7})
    with pytest.raises(FfadeError, match="dtype 'int8' is not allowed"):
        Seq2SeqSummarizer(str(tiny_bart), dtype="int8")
    with pytest.raises(FfadeError, match="cpu_threads must be a whole number from 1"):
        Seq2SeqSummarizer(str(tiny_bart), cpu_threads=0)
    with pytest.raises(FfadeError, match=r"prefix must be text \(\"summarize: \" for T5\), got 5"):
        Seq2SeqSummarizer(str(tiny_bart), prefix=5)  # a TypeError when predicting, before


def test_a_model_without_its_tokenizer_is_refused(tiny_bart: Path, tmp_path: Path) -> None:
    """transformers 5 made a tokenizer of special tokens alone, silently, for a directory
    without tokenizer files: every article read as unknown tokens."""
    import shutil

    folder = tmp_path / "bart"
    shutil.copytree(tiny_bart, folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"):
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(FfadeError, match=r"tokenizer of '.*bart' has no vocabulary \(its \d+ "):
        Seq2SeqSummarizer(str(folder))
    Seq2SeqSummarizer(str(folder), tokenizer=str(tiny_bart))  # a tokenizer of its own: fine


@pytest.mark.parametrize(
    ("generation", "message"),
    [
        (
            {"max_new_tokens": "five"},
            r"generation\.max_new_tokens 'five' is not allowed; expected a whole",
        ),
        (
            {"num_beams": 0},
            r"generation\.num_beams 0 is not allowed; expected a whole number, at least 1",
        ),
        ({"num_beams": 2.5}, r"generation\.num_beams 2\.5 is not allowed"),
        ({"do_sample": "no"}, r"generation\.do_sample 'no' is not allowed; expected true or false"),
        (
            {"do_sample": True},
            r"generation\.do_sample true is not allowed: sampling draws another summary at each",
        ),
        (
            {"length_penalty": "long"},
            r"generation\.length_penalty 'long' is not allowed; expected a number",
        ),
        (
            {"repetition_penalty": 0},
            r"generation\.repetition_penalty 0 is not allowed; expected a number above 0",
        ),
        (64, r"generation must be a mapping such as \{max_new_tokens: 64\}, got 64"),
    ],
)
def test_generation_values_are_checked_when_built(generation: Any, message: str) -> None:
    """A mistaken value was a TypeError traceback from inside ``generate`` at the first
    evaluation; it is one line before the model loads (the bundled target checks it too)."""
    with pytest.raises(FfadeError, match="target 'tiny_news_bart': " + message):
        TinyNewsBart(generation=generation)
    with pytest.raises(FfadeError, match=r"max_input_tokens must be at least 1, got 'many'"):
        Seq2SeqSummarizer("./nowhere", max_input_tokens="many")
    with pytest.raises(FfadeError, match=r"target 'seq2seq_summarizer': generation\.num_beams 0"):
        Seq2SeqSummarizer("./nowhere", generation={"num_beams": 0})


def test_a_model_whose_generation_config_samples_still_summarizes_greedily(
    tiny_bart: Path, tmp_path: Path
) -> None:
    """A model saved with do_sample: true in generation_config.json (many hub models are)
    sampled silently: the same article gave another summary at each evaluation, so a failure
    the search found did not reproduce."""
    import json
    import shutil

    folder = tmp_path / "bart"
    shutil.copytree(tiny_bart, folder)
    config = json.loads((folder / "generation_config.json").read_text())
    config.update(do_sample=True, top_k=50, temperature=1.5)
    (folder / "generation_config.json").write_text(json.dumps(config))
    target = Seq2SeqSummarizer(str(folder), generation={"max_new_tokens": 8})
    first = target.predict(ARTICLES * 2)
    assert target.predict(ARTICLES * 2) == first and first[:3] == first[3:]


def test_a_decoder_only_model_is_refused_in_words(tiny_bart: Path, tmp_path: Path) -> None:
    """A GPT-2 was transformers' "Unrecognized configuration class <class '...GPT2Config'> for
    this kind of AutoModel: AutoModelForSeq2SeqLM": it is named decoder-only, and what the
    targets take instead, for seq2seq_summarizer and hf_pipeline's summarization alike."""
    import shutil

    from transformers import GPT2Config, GPT2LMHeadModel

    folder = tmp_path / "gpt2"
    config = GPT2Config(vocab_size=1200, n_embd=16, n_layer=1, n_head=2, n_positions=64)
    GPT2LMHeadModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_bart / name, folder / name)
    decoder_only = r"is a decoder-only model \(gpt2\), which ffade_text does not run: "
    with pytest.raises(FfadeError, match="target 'seq2seq_summarizer': '.*gpt2' " + decoder_only):
        Seq2SeqSummarizer(str(folder))
    with pytest.raises(FfadeError, match=r"target 'hf_pipeline': .*encoder-decoder model \("):
        registry.create("target", "hf_pipeline", {"task": "summarization", "model": str(folder)})


def test_an_encoder_only_model_is_named_so() -> None:
    """A BERT (the bundled tiny_sentiment, a text classifier's) was refused as "a decoder-only
    model (bert)": it is an encoder without a decoder, and the line now says so, for
    seq2seq_summarizer and hf_pipeline's summarization alike."""
    from ffade_text.targets.pipeline import BUNDLED

    folder = str(BUNDLED["tiny_sentiment"])
    encoder_only = r"is an encoder-only model \(bert\), which ffade_text does not run: "
    with pytest.raises(FfadeError, match="target 'seq2seq_summarizer': .*" + encoder_only):
        Seq2SeqSummarizer(folder)
    with pytest.raises(FfadeError, match="target 'hf_pipeline': .*" + encoder_only):
        registry.create(
            "target", "hf_pipeline", {"task": "summarization", "model": "tiny_sentiment"}
        )


def test_max_new_tokens_past_a_barts_positions_is_refused(tiny_bart: Path) -> None:
    """A summary longer than a BART's learned positions was an IndexError from the decoder's
    position embedding at the first evaluation; the target refuses it when built."""
    positions = Seq2SeqSummarizer(str(tiny_bart)).positions
    assert positions is not None
    Seq2SeqSummarizer(str(tiny_bart), generation={"max_new_tokens": positions})
    with pytest.raises(
        FfadeError,
        match=rf"generation\.max_new_tokens {positions + 1} is more than the {positions} tokens "
        rf"the model writes \(its max_position_embeddings\); set max_new_tokens to at most",
    ):
        Seq2SeqSummarizer(str(tiny_bart), generation={"max_new_tokens": positions + 1})


@pytest.mark.gpu
def test_cuda_and_bfloat16(tiny_bart: Path) -> None:
    target = Seq2SeqSummarizer(
        str(tiny_bart), device="cuda", dtype="bfloat16", generation={"max_new_tokens": 4}
    )
    assert next(target.model.parameters()).device.type == "cuda"
    assert len(target.predict(ARTICLES)) == 3
    features = target.features(ARTICLES)
    assert features.dtype == torch.float32 and features.shape[0] == 3


def test_the_bundled_models_name_as_a_model_id_points_to_its_target() -> None:
    """seq2seq_summarizer model: tiny_news_bart was read as a hub id not in the cache, with no
    word of the target (or directory) that holds the bundled model."""
    with pytest.raises(
        FfadeError, match=r"; the bundled model is target tiny_news_bart, or model: /"
    ):
        registry.create("target", "seq2seq_summarizer", {"model": "tiny_news_bart"})


@pytest.mark.parametrize(
    "target",
    [
        {"name": "tiny_news_bart"},
        {"name": "hf_pipeline", "args": {"task": "summarization", "model": "tiny_news_bart"}},
    ],
)
def test_class_labels_as_references_are_refused_before_the_search(
    tmp_path: Path, target: dict
) -> None:
    """A summarizer on a classification dataset (references 0 and 1) was refused by the summary
    reward only at the first evaluation, after its run directory and search had started."""
    config = yaml.safe_load((REPO / "configs" / "text_quickstart.yaml").read_text())
    config["model"]["init_args"]["task"].update(target=target, dataset={"name": "tiny_sentiment"})
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    result = ffade_in_process("fit", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: target '{target['name']}' is judged against reference summaries, but the "
        "task's references are int (e.g. 1): choose a summary dataset (tiny_news, summaries) or, "
        "for class labels, hf_pipeline with task text-classification"
    ]
    assert not (tmp_path / "runs").exists()


def test_inputs_longer_than_the_model_reads_are_noted_not_a_traceback(tmp_path: Path) -> None:
    """max_input_tokens past the model's positions (bart.yaml's 1024 on the bundled model's 256)
    let a long article through to an IndexError inside the embedding, mid-search; now the model
    reads its first 256 tokens, and the run says so and that long articles are cut there."""
    pairs = TinyNewsDataset().split("finetune")[:10]
    rows = [{"article": " ".join([article] * 8), "summary": summary} for article, summary in pairs]
    data = tmp_path / "news.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    target = {"model": str(BUNDLED_MODEL), "max_input_tokens": 1024}
    config = {
        "seed_everything": 0,
        "model": {
            "class_path": "ffade.explore.RandomExplorer",
            "init_args": {
                "task": {
                    "target": {"name": "seq2seq_summarizer", "args": target},
                    "dataset": {"name": "summaries", "args": {"path": str(data)}},
                    "reward": {"name": "bleu_drop"},
                    "concepts": [{"name": "repeat_word", "args": {"values": [0, 1]}}],
                    "mode": "macroscopic",
                },
                "budget": 2,
                "num_envs": 2,
            },
        },
        "trainer": {"logger": {"init_args": {"save_dir": str(tmp_path / "runs")}}},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    result = ffade_in_process("fit", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    notes = [line for line in result.stderr.splitlines() if "target 'seq2seq_summarizer'" in line]
    assert len(notes) == 1 and notes[0].startswith(
        "ffade: note: target 'seq2seq_summarizer': 2 of the task's 2 inputs are longer than the "
        "256 tokens it reads (the model's positions; max_input_tokens is 1024); each is cut "
        "there (the longest has "
    )
    assert notes[0].endswith(
        "edits past the cut change nothing the model sees, and edits that add words or characters "
        "(repeat_word, insert_char, ...) lengthen texts further; choose shorter inputs"
    )


def test_articles_cut_at_max_input_tokens_are_noted(tiny_bart: Path) -> None:
    lengths = [len(ids) for ids in Seq2SeqSummarizer(str(tiny_bart)).tokenizer(ARTICLES).input_ids]
    target = Seq2SeqSummarizer(str(tiny_bart), max_input_tokens=min(lengths))
    assert target.check_task([ARTICLES[lengths.index(min(lengths))]], []) == []
    notes = target.check_task(ARTICLES, [])
    assert notes == [
        f"target 'seq2seq_summarizer': 2 of the task's 3 inputs are longer than the "
        f"{min(lengths)} tokens it reads (max_input_tokens); each is cut there (the longest has "
        f"{max(lengths)} tokens), so edits past the cut change nothing the model sees, and edits "
        "that add words or characters (repeat_word, insert_char, ...) lengthen texts further; "
        "raise max_input_tokens or choose shorter inputs"
    ]


def test_articles_that_lengthening_edits_push_past_the_cut_are_counted(tiny_bart: Path) -> None:
    """The note counted only unedited articles: one just under max_input_tokens, pushed past it
    by repeat_word at its top value, was cut silently, and its last edits changed nothing."""
    lengths = [len(ids) for ids in Seq2SeqSummarizer(str(tiny_bart)).tokenizer(ARTICLES).input_ids]
    target = Seq2SeqSummarizer(str(tiny_bart), max_input_tokens=max(lengths))
    repeat = registry.create("concept", "repeat_word", {"values": [0, 1, 8]})
    edited = [len(i) for i in target.tokenizer(repeat.apply(ARTICLES, 8)).input_ids]
    assert target.check_task(ARTICLES, []) == []  # unedited, every article is read whole
    shorten = registry.create("concept", "delete_word", {"values": [0, 8]})
    assert target.check_task(ARTICLES, [shorten]) == []
    (note,) = target.check_task(ARTICLES, [shorten, repeat])
    pushed = sum(n > max(lengths) for n in edited)
    assert pushed >= 1 and note.startswith(
        f"target 'seq2seq_summarizer': 0 of the task's 3 inputs are longer than the "
        f"{max(lengths)} tokens it reads (max_input_tokens), {pushed} more with one text edit at "
        f"its top value; each is cut there (the longest has {max(edited)} tokens)"
    )
