"""ffade.hf_models: what a Hugging Face model path or tokenizer must be, said in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffade.errors import PluginError
from ffade.hf_models import check_model_path, check_tokenizer, check_trained_head


def test_a_model_path_must_be_a_directory_with_a_config(tmp_path: Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"")
    with pytest.raises(PluginError, match=r"^target 'p': model '\S+model.pt' is a file, not a"):
        check_model_path(str(tmp_path / "model.pt"), "p")
    with pytest.raises(PluginError, match=r"has no config.json; give the directory"):
        check_model_path(str(tmp_path), "p")
    (tmp_path / "adapter_config.json").write_text("{}")  # a LoRA adapter's directory loads
    check_model_path(str(tmp_path), "p")
    check_model_path("org/not-here", "p")  # a hub id: the caller says it is not in the cache
    check_model_path("not-here", "p")


@pytest.mark.parametrize("model", ["./my_model", "../my_model", "models/team/my_model", "~/m"])
def test_a_model_written_as_a_path_that_is_not_there_names_its_absolute_path(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``model: ./my_model`` went on as a hub id, and ``models/team/my_model`` (not a hub id's
    ``org/name``) reached the loaders as one: "not in the Hugging Face cache: hf download ..."
    for a folder the user mistyped or has not made."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")  # ../my_model is tmp_path/my_model
    monkeypatch.setenv("HOME", str(tmp_path))
    absolute = (Path.cwd() / Path(model).expanduser()).resolve()
    with pytest.raises(PluginError) as error:
        check_model_path(model, "hf_pipeline")
    assert str(error.value) == (
        f"target 'hf_pipeline': model {model!r}: no such folder {absolute}; download the model "
        f"there first (hf download HUB_ID --local-dir {absolute}, HUB_ID being the model's id on "
        "the Hugging Face hub, as the config's comments or the plugin's README name it), or give "
        "a hub id already in the Hugging Face cache"
    )


class _Tokenizer:
    def __init__(self, size: int) -> None:
        self.size, self.all_special_ids = size, [0, 1, 2]

    def __len__(self) -> int:
        return self.size


def test_a_tokenizer_of_special_tokens_alone_is_refused() -> None:
    with pytest.raises(PluginError, match=r"tokenizer of 'm' has no vocabulary \(its 3 tokens"):
        check_tokenizer(_Tokenizer(3), "m", "p")
    check_tokenizer(_Tokenizer(4), "m", "p")
    check_tokenizer(object(), "m", "p")  # no tokenizer to judge: left alone


def test_weights_missing_from_the_checkpoint_are_refused() -> None:
    missing = {"missing_keys": {"head.w", "head.b", "head.c", "head.d"}, "unexpected_keys": {"x"}}
    with pytest.raises(
        PluginError, match=r"4 of its weights .* \(head.b, head.c, head.d, \.\.\.\)"
    ):
        check_trained_head(missing, "m", "p", "text-classification")
    check_trained_head({"missing_keys": set(), "unexpected_keys": {"x"}}, "m", "p", "t")


def test_quiet_saving_hides_the_shard_bars_and_restores_the_settings(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    transformers = pytest.importorskip("transformers")
    from huggingface_hub.utils import are_progress_bars_disabled

    from ffade.hf_models import quiet_saving

    config = transformers.BertConfig(
        vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
        intermediate_size=8,
    )  # fmt: skip
    model = transformers.BertModel(config)
    capfd.readouterr()
    with quiet_saving():
        model.save_pretrained(tmp_path / "quiet")
    assert "Writing model shards" not in capfd.readouterr().err
    assert (tmp_path / "quiet" / "config.json").is_file()
    assert transformers.utils.logging.is_progress_bar_enabled()
    assert not are_progress_bars_disabled()
    model.save_pretrained(tmp_path / "loud")  # outside the block the bars are back
    assert "Writing model shards" in capfd.readouterr().err
