"""hf_pipeline: the bundled tiny sentiment classifier and a tiny BART, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ffade_text.datasets.classification import TinySentimentDataset
from ffade_text.targets.pipeline import HFTextPipeline

from ffade import registry
from ffade.errors import FfadeError, PluginError
from ffade.hf_models import quiet_saving


@pytest.fixture(scope="module")
def sentiment() -> HFTextPipeline:
    return HFTextPipeline("text-classification", "tiny_sentiment", labels=["negative", "positive"])


def test_classifier_scores_follow_the_dataset_labels(sentiment: HFTextPipeline) -> None:
    texts, labels = zip(*TinySentimentDataset().split("discovery")[:32], strict=True)
    scores = sentiment.predict(list(texts))
    assert scores.shape == (32, 2)
    assert torch.allclose(scores.exp().sum(-1), torch.ones(32), atol=1e-4)
    accuracy = (scores.argmax(-1) == torch.tensor(labels)).float().mean()
    assert accuracy >= 0.85  # the bundled model's held-out accuracy is 0.94
    swapped = HFTextPipeline(
        "text-classification", "tiny_sentiment", labels=["POSITIVE", "negative"]
    )
    # the same scores with the labels swapped, up to float rounding: a batch of 4 is padded to
    # another length than a batch of 32, which changes the last bits on some CPUs
    torch.testing.assert_close(swapped.predict(list(texts[:4])), scores[:4].flip(-1))
    assert sentiment.features(list(texts[:3])).shape == (3, 64)
    assert sentiment.describe_outputs(scores[:1])[0].startswith("predicted ")
    # references in the words of the predictions: "should be negative", not "should be 1"
    assert swapped.describe_references([0, 1, 0]) == ["positive", "negative", "positive"]
    assert swapped.describe_references(["a summary"]) is None


def test_summarization_returns_summaries(tmp_path: Path) -> None:
    target = HFTextPipeline("summarization", "tiny_news_bart", generation={"max_new_tokens": 8})
    summaries = target.predict(["The council of Belmont approved a budget on Monday."])
    assert len(summaries) == 1 and isinstance(summaries[0], str) and summaries[0]
    assert target.features(["a short article"]).shape == (1, 128)


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"task 'image-classification' is not allowed.*hf_image"):
        HFTextPipeline("image-classification", "tiny_sentiment")
    with pytest.raises(PluginError, match="labels: 'neutral' is not one of the model's labels"):
        HFTextPipeline("text-classification", "tiny_sentiment", labels=["neutral"])
    for labels in ("positive", ["positive", "Positive"]):  # letters; two classes as one
        with pytest.raises(PluginError, match="labels must be a list of distinct names"):
            HFTextPipeline("text-classification", "tiny_sentiment", labels=labels)
    # batch_size 0 was transformers' ValueError traceback at the first evaluation
    with pytest.raises(PluginError, match="batch_size must be a whole number, at least 1; got 0"):
        HFTextPipeline("text-classification", "tiny_sentiment", batch_size=0)
    with pytest.raises(PluginError, match="max_input_tokens must be a whole number, at least 1"):
        HFTextPipeline("text-classification", "tiny_sentiment", max_input_tokens=0)
    with pytest.raises(
        PluginError,
        match=r"missing': no such folder /\S+/missing; download the model there first \(hf",
    ):
        HFTextPipeline("text-classification", str(tmp_path / "missing"))
    with pytest.raises(
        PluginError, match="cache: fetch it once with `hf download nobody/"
    ) as error:
        HFTextPipeline("text-classification", "nobody/no-such-model-here")
    assert "\n" not in str(error.value)


def test_registered_by_name() -> None:
    assert registry.load("target", "hf_pipeline") is HFTextPipeline


def test_an_encoder_decoder_classifier_gives_features(tmp_path: Path) -> None:
    # BART-style classifiers (facebook/bart-large-mnli) return no hidden_states: the encoder's
    # states are the features, as for the summarizers (here the bundled BART with a new head,
    # saved with it: a checkpoint without the head is refused)
    from ffade_text.targets.pipeline import BUNDLED
    from transformers import AutoTokenizer, BartForSequenceClassification

    with quiet_saving():
        BartForSequenceClassification.from_pretrained(BUNDLED["tiny_news_bart"]).save_pretrained(
            tmp_path / "bart"
        )
        AutoTokenizer.from_pretrained(BUNDLED["tiny_news_bart"]).save_pretrained(tmp_path / "bart")
    target = HFTextPipeline("text-classification", str(tmp_path / "bart"))
    texts = ["The council approved a budget.", "Rain fell on Monday in Belmont town."]
    assert target.features(texts).shape == (2, 128)
    assert target.predict(texts).shape == (2, target.model.config.num_labels)


def test_a_missing_summarizer_names_hf_pipeline(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"^target 'hf_pipeline': model '\S+': no such folder "):
        HFTextPipeline("summarization", str(tmp_path / "missing"))
    with pytest.raises(
        PluginError, match=r"^target 'hf_pipeline': model 'nobody/x': cannot load it "
    ) as error:
        HFTextPipeline("summarization", "nobody/x")
    assert str(error.value).endswith("local_files_only: false downloads it at run time)")


def test_a_bundled_classifier_as_a_summarizer_is_named_as_typed() -> None:
    """model: tiny_sentiment for summarization was named by its folder,
    '/.../ffade_text/models/tiny_sentiment', a path the user never typed."""
    with pytest.raises(PluginError) as error:
        HFTextPipeline("summarization", "tiny_sentiment")
    assert str(error.value) == (
        "target 'hf_pipeline': 'tiny_sentiment' is an encoder-only model (bert), which ffade_text "
        "does not run: summarization here takes an encoder-decoder model "
        "(AutoModelForSeq2SeqLM: BART, T5, Marian, Pegasus, ...)"
    )


def test_a_classifier_is_trainable_and_its_fix_loads_by_weights(
    sentiment: HFTextPipeline, tmp_path: Path
) -> None:
    # the classifier fine-tuner trains model(preprocess(texts)): the very log-probabilities
    # predict gives, with gradients, and saves model.state_dict(), which weights must load
    from ffade.mitigate.plan import check_trainable

    check_trainable(sentiment, "hf_pipeline")  # was refused: no preprocess
    texts = [t for t, _ in TinySentimentDataset().split("heldout")[:5]]
    scores = sentiment.model(sentiment.preprocess(texts))
    assert scores.requires_grad
    torch.testing.assert_close(scores.detach(), sentiment.predict(texts), atol=1e-5, rtol=0)
    state = {k: v.clone() for k, v in sentiment.model.state_dict().items()}
    assert state.keys() == sentiment.net.state_dict().keys()  # a plain model state dict
    head = next(k for k in state if k.startswith("classifier") and k.endswith("bias"))
    state[head] = state[head] + torch.tensor([5.0, -5.0])  # now every text reads negative
    torch.save(state, tmp_path / "model.pt")
    fixed = HFTextPipeline(
        "text-classification",
        "tiny_sentiment",
        labels=["negative", "positive"],
        weights=str(tmp_path / "model.pt"),
    )
    assert fixed.predict(texts).argmax(-1).tolist() == [0] * 5
    summarizer = HFTextPipeline("summarization", "tiny_news_bart")
    message = r"^target 'hf_pipeline' cannot be fine-tuned: it has no 'preprocess\(inputs\)';"
    with pytest.raises(FfadeError, match=message):
        check_trainable(summarizer, "hf_pipeline")  # the seq2seq fine-tuner's target is another


def test_a_model_without_its_tokenizer_is_refused(tmp_path: Path) -> None:
    """transformers 5 made an empty tokenizer (special tokens only) for a directory without
    tokenizer files: every word read as unknown, and the run searched a blind model (75
    failures where the bundled model has 720). A file or a folder without config is no model."""
    import shutil

    from ffade_text.targets.pipeline import BUNDLED

    from tests.helpers import REPO, ffade_in_process

    folder = tmp_path / "sentiment"
    shutil.copytree(BUNDLED["tiny_sentiment"], folder)
    for file in folder.glob("tokenizer*"):
        file.unlink()
    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "text_classification.yaml"),
        "--model.init_args.task.target.args.model",
        str(folder),
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: target 'hf_pipeline': the tokenizer of {str(folder)!r} has no vocabulary"
        " (its 5 tokens are all special ones): the tokenizer files (tokenizer.json, vocab.txt, "
        "...) are missing; save the tokenizer into the model directory "
        "(tokenizer.save_pretrained(DIR))"
    ]
    assert not (tmp_path / "runs").exists()
    with pytest.raises(PluginError, match=r"model '.*model.safetensors' is a file, not a model"):
        HFTextPipeline("text-classification", str(folder / "model.safetensors"))
    (folder / "config.json").unlink()
    with pytest.raises(PluginError, match=r"model '.*sentiment' has no config.json"):
        HFTextPipeline("text-classification", str(folder))


def test_a_model_without_a_trained_classifier_head_is_refused(tmp_path: Path) -> None:
    """A summarizer read as a classifier got a random head and a table of its weights on
    stderr, and the run searched random guesses."""
    from tests.helpers import REPO, ffade_in_process

    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "text_classification.yaml"),
        "--model.init_args.task.target.args.model",
        "tiny_news_bart",
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "ffade: error: target 'hf_pipeline': model.init_args.task.target.args.model "
        "'tiny_news_bart' is no trained text-classification model: 4 of its weights are not in "
        "the checkpoint and would be random (classification_head.dense.bias, "
        "classification_head.dense.weight, classification_head.out_proj.bias, ...); give a model "
        "fine-tuned for text-classification"
    ]


def test_a_review_longer_than_the_model_reads_is_cut_and_noted(sentiment: HFTextPipeline) -> None:
    """tiny_sentiment has 256 positions and max_input_tokens defaults to 512: a long review was
    a RuntimeError inside BERT (expanded size 512 against 256), mid-search; now it is cut at
    256 tokens, for predict and for the fine-tuner's preprocess alike, and the run says so."""
    review = "a great movie. " * 200
    scores = sentiment.predict([review, "bad"])
    assert scores.shape == (2, 2) and torch.isfinite(scores).all()
    assert sentiment.preprocess([review])["input_ids"].shape == (1, 256)
    (note,) = sentiment.check_task([review, "bad"], [])
    assert note.startswith(
        "target 'hf_pipeline': 1 of the task's 2 inputs are longer than the 256 tokens it reads "
        "(the model's positions; max_input_tokens is 512); each is cut there (the longest has "
    )
    assert sentiment.check_task(["bad", "good"], []) == []


def test_a_caption_says_no_certainty_the_model_does_not_have(sentiment: HFTextPipeline) -> None:
    """p=0.996 read "p=1.00": a caption claimed a certainty the classifier does not have."""
    scores = torch.tensor([[0.004, 0.996], [0.5, 0.5]]).log()
    assert sentiment.describe_outputs(scores) == [
        "predicted positive (p=0.99)",
        "predicted negative (p=0.50)",
    ]
