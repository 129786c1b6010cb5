from __future__ import annotations

import json
from pathlib import Path

import pytest
from ffade_diffusion.prompts import Prompt
from ffade_diffusion.targets.loading import lora_digest
from ffade_diffusion.targets.pipeline import DiffusersPipeline

from ffade.errors import FfadeError


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # diffusers refused these only at the first generation, with a traceback, mid-search
        ({"height": 20}, r"height must be a positive multiple of 8 pixels \(or null for the "),
        ({"width": 0}, r"width must be a positive multiple of 8 pixels .*, got 0$"),
        ({"height": 16.0}, r"got 16\.0$"),
        # diffusers ignored a misspelt scheduler argument with a warning
        (
            {"scheduler": "DPMSolverMultistepScheduler", "scheduler_args": {"karras": True}},
            "scheduler_args[.]karras is not an argument of DPMSolverMultistepScheduler; its "
            "arguments: num_train_timesteps, ",
        ),
        (
            {"scheduler": "DPMSolverMultistepScheduler", "scheduler_args": {"solver_ordr": 2}},
            "scheduler_args[.]solver_ordr is not an argument of DPMSolverMultistepScheduler; "
            "did you mean solver_order[?]$",
        ),
        ({"scheduler_args": {"use_karras_sigmas": True}}, "scheduler_args need a scheduler"),
        # dict() of them said "dictionary update sequence element #0 has length 1"
        (
            {"scheduler": "DDIMScheduler", "scheduler_args": "karras"},
            r"scheduler_args must map argument names to values, e\.g\. \{use_karras_sigmas: "
            r"true\}; got 'karras'$",
        ),
        ({"scheduler": "DDIMScheduler", "scheduler_args": [1, 2]}, r"values, .*; got \[1, 2\]$"),
    ],
)
def test_settings_diffusers_would_refuse_late_or_ignore_are_one_line_errors(
    tiny_pipeline: Path, kwargs: dict, message: str
) -> None:
    with pytest.raises(FfadeError, match=message) as info:
        DiffusersPipeline(str(tiny_pipeline), **kwargs)
    assert "\n" not in str(info.value)


def test_a_known_scheduler_argument_reaches_the_scheduler(tiny_pipeline: Path) -> None:
    target = DiffusersPipeline(
        str(tiny_pipeline),
        scheduler="DPMSolverMultistepScheduler",
        scheduler_args={"use_karras_sigmas": True},
        height=16,
        width=24,
    )
    assert target.pipeline.scheduler.config.use_karras_sigmas is True
    assert (target.height, target.width) == (16, 24)


def test_keys_tell_apart_what_the_target_draws_with(tiny_pipeline: Path, tmp_path: Path) -> None:
    """A human rating is cached by key: an image of another model, LoRA or sampler setting is
    another image, and the same settings must give the same key in the next run."""
    prompt = [Prompt("a {style} handwritten seven")]

    def key(**kwargs: object) -> str:
        target = DiffusersPipeline(str(tiny_pipeline), num_inference_steps=2, **kwargs)
        return target.predict(prompt)["keys"][0]

    plain = key()
    assert plain == key() and plain.startswith(f"{prompt[0].key()}|seed=0|target=")
    assert len({plain, key(guidance_scale=2.0), key(negative_prompt="blurry"), key(seed=1)}) == 4
    assert plain != key(scheduler="EulerDiscreteScheduler")


def test_a_lora_is_known_by_its_contents_not_its_place(tmp_path: Path) -> None:
    first, copy, other = (tmp_path / n for n in ("a", "b", "c"))
    for folder, content in ((first, b"weights"), (copy, b"weights"), (other, b"retrained")):
        folder.mkdir()
        (folder / "pytorch_lora_weights.safetensors").write_bytes(content)
    assert lora_digest(first) == lora_digest(copy) != lora_digest(other)


def test_a_lora_saved_again_is_the_same_lora(tmp_path: Path) -> None:
    """safetensors writes a file's metadata (a LoRA's config: its alpha) in hash order: the
    same LoRA saved twice had two digests, so its images two keys."""

    def save(folder: str, metadata: dict[str, str]) -> Path:
        tensors = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
        header = json.dumps({"__metadata__": metadata, **tensors}).encode()
        (tmp_path / folder).mkdir()
        file = tmp_path / folder / "pytorch_lora_weights.safetensors"
        file.write_bytes(len(header).to_bytes(8, "little") + header + b"\0\0\x80?")
        return file.parent

    first = save("a", {"format": "pt", "lora_adapter_metadata": '{"lora_alpha": 8}'})
    again = save("b", {"lora_adapter_metadata": '{"lora_alpha": 8}', "format": "pt"})
    other = save("c", {"format": "pt", "lora_adapter_metadata": '{"lora_alpha": 2}'})
    assert lora_digest(first) == lora_digest(again) != lora_digest(other)
