from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
import yaml
from ffade_diffusion.concepts import PromptWords
from ffade_diffusion.prompts import Prompt
from ffade_diffusion.rewards.clip_score import ClipScore

from ffade.errors import FfadeError
from tests.helpers import ffade_in_process


def _outputs(n: int = 4) -> dict:
    images = torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    return {"images": images, "prompts": ["a thin handwritten seven"] * n}


def test_failure_is_cosine_below_threshold(tiny_clip: Path) -> None:
    reward = ClipScore(str(tiny_clip), threshold=0.0)
    scores = reward.score(_outputs(), [7] * 4)
    cosine = reward.cosine(_outputs()["images"], _outputs()["prompts"])
    assert torch.allclose(scores.metric, cosine)
    assert torch.equal(scores.failed, cosine < 0.0)
    expected = torch.where(cosine < 0.0, 100 * (1 - cosine), torch.tensor(-1.0))
    assert torch.allclose(scores.reward, expected)
    everything = ClipScore(str(tiny_clip), threshold=0.99).score(_outputs(), [7] * 4)
    assert everything.failed.all() and (everything.reward > 0).all()
    # a cosine exactly at the threshold is not below it: it passes
    at = ClipScore(str(tiny_clip), threshold=float(cosine[0])).score(_outputs(), [7] * 4)
    assert not at.failed[0] and at.reward[0] == -1.0


def test_cosine_follows_the_prompt(tiny_clip: Path) -> None:
    reward = ClipScore(str(tiny_clip))
    images = _outputs(2)["images"][:1].repeat(2, 1, 1, 1)
    cosine = reward.cosine(images, ["a thin handwritten seven", "a thick handwritten two"])
    assert cosine.shape == (2,) and not torch.isclose(cosine[0], cosine[1])


def test_a_wide_image_is_read_as_its_centre_not_squeezed(tiny_clip: Path) -> None:
    """As CLIP's processor reads it: a 16 x 32 image (CLIP's 16 px high already) is its centre
    16 x 16 square; it was squeezed to 16 x 16, distorting every shape in it."""
    reward = ClipScore(str(tiny_clip))
    wide = torch.rand(1, 3, 16, 32, generator=torch.Generator().manual_seed(1))
    prompts = ["a thin handwritten seven"]
    centre = reward.cosine(wide[..., 8:24], prompts)
    assert torch.allclose(reward.cosine(wide, prompts), centre, atol=1e-6)
    square = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    assert reward.cosine(square, prompts).shape == (1,)  # a square is resized whole


def test_bad_model_and_outputs_are_one_line_errors(tiny_clip: Path) -> None:
    with pytest.raises(
        FfadeError, match="model 'no-such/clip': cannot load the CLIP model"
    ) as info:
        ClipScore("no-such/clip")
    assert "\n" not in str(info.value) and "connect" not in str(info.value)  # none was tried
    with pytest.raises(FfadeError, match="model '~/no-such-models/clip': no such folder /"):
        ClipScore("~/no-such-models/clip")  # a path not downloaded yet is not a hub id to fetch
    with pytest.raises(FfadeError, match="model '~/no-such-models/clip': no such folder /"):
        ClipScore("~/no-such-models/clip", device="cuda:7")  # the weights named before the device
    with pytest.raises(FfadeError, match="threshold must be a cosine"):
        ClipScore(str(tiny_clip), threshold=2.0)
    with pytest.raises(FfadeError, match="outputs must come from a text-to-image target"):
        ClipScore(str(tiny_clip)).score(torch.zeros(2, 10), [1, 2])


def test_bundled_tiny_clip_matches_digits_with_their_captions() -> None:
    from ffade_diffusion.tiny.digits import DIGIT_WORDS, digit_images

    images, labels = digit_images(16)
    images, labels = images[:40], labels[:40].tolist()
    reward = ClipScore("tiny_digits_clip", threshold=0.3)
    right = reward.cosine(images, [f"a handwritten {DIGIT_WORDS[y]}" for y in labels])
    wrong = reward.cosine(images, [f"a handwritten {DIGIT_WORDS[(y + 5) % 10]}" for y in labels])
    assert (right > wrong).float().mean() > 0.9
    assert right.mean() > 0.5 > wrong.mean()


def test_a_prompt_longer_than_clip_reads_is_one_line(tiny_clip: Path) -> None:
    reward = ClipScore(str(tiny_clip))
    with pytest.raises(FfadeError, match=r"reward 'clip_score': prompt .* text encoder reads"):
        reward.cosine(torch.rand(1, 3, 16, 16), ["a thin handwritten seven" + " in red ink" * 5])


def test_a_model_file_a_folder_without_config_or_tokenizer_is_one_line(
    tiny_clip: Path, tmp_path: Path
) -> None:
    """A weights file, a folder without config.json (transformers' size-mismatch table and a
    RuntimeError) and one without tokenizer files (loaded with no vocabulary: every prompt
    word unknown) are each refused in one line naming the reward."""
    with pytest.raises(FfadeError, match=r"reward 'clip_score': model .* is a file, not a model"):
        ClipScore(str(tiny_clip / "model.safetensors"))
    no_config = tmp_path / "no_config"
    shutil.copytree(tiny_clip, no_config)
    (no_config / "config.json").unlink()
    with pytest.raises(FfadeError, match=r"reward 'clip_score': model .* has no config.json"):
        ClipScore(str(no_config))
    no_tokenizer = tmp_path / "no_tokenizer"
    no_tokenizer.mkdir()
    for name in ("config.json", "model.safetensors", "preprocessor_config.json"):
        shutil.copy(tiny_clip / name, no_tokenizer)
    with pytest.raises(FfadeError, match=r"reward 'clip_score': the tokenizer of .* no vocabulary"):
        ClipScore(str(no_tokenizer))


@pytest.mark.parametrize("threshold", [True, False, -1, 1, -1.0, 1.5, -0.99999999, 0.99999999])
def test_a_threshold_that_cannot_decide_is_refused(threshold: float) -> None:
    """YAML's true (also yes, on) passed -1 <= threshold <= 1 as 1: every image failed. No
    cosine is below -1 and an image's is never exactly 1: -1 failed none, 1 every one. The
    float32 cosine compares -0.99999999 as -1 and 0.99999999 as 1."""
    with pytest.raises(FfadeError) as error:
        ClipScore("tiny_digits_clip", threshold=threshold)
    assert str(error.value) == (
        "reward 'clip_score': threshold must be a cosine in (-1, 1) (at -1 no image can fail, "
        "at 1 every one does, and so at a number float32 rounds to either), got "
        f"{str(threshold).lower()}"
    )


def _clip_config(tmp_path: Path, prompts: list[str], concepts: list[dict], clip: str) -> Path:
    """A small clip_score search on the bundled tiny text-to-image model, as a user writes it."""
    config = {
        "seed_everything": 0,
        "model": {
            "class_path": "ffade.explore.RandomExplorer",
            "init_args": {
                "task": {
                    "target": {"name": "tiny_digits_t2i", "args": {"num_inference_steps": 2}},
                    "dataset": {
                        "name": "prompts",
                        "args": {"prompts": prompts, "samples_per_prompt": 4},
                    },
                    "reward": {"name": "clip_score", "args": {"model": clip}},
                    "concepts": concepts,
                    "mode": "macroscopic",
                },
                "budget": 4,
            },
        },
        "trainer": {
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(tmp_path / "runs"), "name": "clip"},
            }
        },
    }
    path = tmp_path / "clip.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_prompt_the_grid_leaves_without_words_is_one_line_before_any_image(
    tmp_path: Path,
) -> None:
    """'{style}' with style "" was drawn and scored: CLIP's cosine with an empty prompt, which
    says nothing of the image, was counted as a pass or a failure of the search."""
    style = {"name": "prompt_slot", "args": {"slot": "style", "label": "style"}}
    style["args"]["values"] = ["", "thin"]
    path = _clip_config(tmp_path, ["{style}", "a {style} seven"], [style], "tiny_digits_clip")
    result = ffade_in_process("fit", "--config", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "ffade: error: reward 'clip_score': prompt '{style}' reads as no words when each "
        'concept adds its fewest ("" in a slot); CLIP\'s cosine with an empty prompt says '
        'nothing of the image: add words to the prompt outside its slots, or drop "" from the '
        "slot's values (task.concepts)"
    ]
    assert not list((tmp_path / "runs").glob("*/*/evaluations.jsonl"))


def test_a_prompt_longer_than_clip_reads_is_refused_when_the_task_is_built(
    tiny_clip: Path,
) -> None:
    """The target may read more tokens than CLIP (77 against this CLIP's 16): the long words
    were found only when a batch was scored, after its images were drawn."""
    reward = ClipScore(str(tiny_clip))
    medium = PromptWords(position="after", label="medium", values=["", "in red ink " * 4])
    inputs = [Prompt("a handwritten seven", sample=k) for k in range(3)]
    with pytest.raises(FfadeError, match=r"'a handwritten seven in red ink .* at most 16;"):
        reward.check_task(inputs, [medium])
    short = PromptWords(position="after", label="medium", values=["", "in red ink"])
    assert reward.check_task(inputs, [short]) is None


def test_a_long_prompt_is_named_not_the_first_of_its_batch(tiny_clip: Path) -> None:
    """Padded to the batch's longest, every prompt counted as long as it: the error named the
    batch's first prompt, a short one, with the long one's length."""
    reward = ClipScore(str(tiny_clip))
    long = "a handwritten seven" + " in red ink" * 5
    with pytest.raises(FfadeError, match=r"prompt 'a handwritten seven in red ink"):
        reward.cosine(torch.rand(2, 3, 16, 16), ["a handwritten seven", long])


def test_a_failing_caption_reads_below_the_threshold(tiny_clip: Path) -> None:
    """A cosine just under the threshold read "0.30 (failing below 0.3)": failing for no reason
    the caption showed. It reads as many decimals as keep it below."""
    outputs = _outputs(8)
    cosine = ClipScore(str(tiny_clip)).cosine(outputs["images"], outputs["prompts"]).tolist()
    up = next(c for c in cosine if float(f"{c:.2f}") > c)  # one that two decimals round up
    reward = ClipScore(str(tiny_clip), threshold=float(f"{up:.2f}"))
    captions = reward.describe_outputs(outputs, [7] * 8)
    failed = reward.score(outputs, [7] * 8).failed.tolist()
    for caption, fails in zip(captions, failed, strict=True):
        shown = float(caption.removeprefix("an image at CLIP cosine ").split()[0])
        assert (shown < reward.threshold) == fails, caption
    assert f"CLIP cosine {up:.2f} " not in captions[cosine.index(up)]
