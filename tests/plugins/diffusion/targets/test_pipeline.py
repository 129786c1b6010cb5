from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from ffade_diffusion.prompts import Prompt, check_prompt_lengths, tokenize_prompts
from ffade_diffusion.targets.pipeline import DiffusersPipeline

from ffade.errors import FfadeError

PROMPTS = [Prompt("a {style} handwritten seven", sample=s) for s in range(3)]


@pytest.fixture(scope="module")
def target(tiny_pipeline: Path) -> DiffusersPipeline:
    return DiffusersPipeline(
        str(tiny_pipeline), num_inference_steps=3, guidance_scale=2.0, cpu_threads=1
    )


def test_predict_gives_images_and_prompts(target: DiffusersPipeline) -> None:
    out = target.predict(PROMPTS)
    assert out["images"].shape == (3, 3, 16, 16)
    assert out["images"].min() >= 0 and out["images"].max() <= 1
    assert out["prompts"] == ["a handwritten seven"] * 3
    assert len(set(out["keys"])) == 3
    assert target.describe_outputs(out) == ['"a handwritten seven"'] * 3


def test_images_are_seeded_per_input_and_state(target: DiffusersPipeline) -> None:
    first = target.generate(PROMPTS)
    assert torch.equal(first, target.generate(PROMPTS))
    assert not torch.allclose(first[0], first[1])  # another sample: other noise
    thin = PROMPTS[0].with_slot("style", "thin")
    # batch-independent noise: the same image up to float rounding, whose last bits a batch's
    # size may change (seen: 5e-7 with torch 2.14 on a CPU); another noise differs far more
    in_another_batch = target.generate([thin, PROMPTS[0]])[1]
    torch.testing.assert_close(in_another_batch, first[0], atol=1e-5, rtol=0)


def test_batches_mix_settings_like_one_by_one(target: DiffusersPipeline) -> None:
    mixed = [
        PROMPTS[0],
        Prompt("a {style} handwritten two", guidance_scale=1.0, num_inference_steps=2),
    ]
    together = target.generate(mixed)
    alone = torch.cat([target.generate([p]) for p in mixed])
    assert torch.allclose(together, alone, atol=1e-5)


def test_features_embed_the_prompt_not_the_image(target: DiffusersPipeline) -> None:
    features = target.features([*PROMPTS, Prompt("a handwritten two")])
    assert features.shape == (4, 64)
    assert torch.equal(features[0], features[1])  # samples of one prompt look alike
    assert not torch.allclose(features[0], features[3])


def test_scheduler_and_size_come_from_config(tiny_pipeline: Path) -> None:
    target = DiffusersPipeline(
        str(tiny_pipeline),
        scheduler="EulerDiscreteScheduler",
        num_inference_steps=2,
        height=32,
        width=32,
        cpu_threads=1,
    )
    assert type(target.pipeline.scheduler).__name__ == "EulerDiscreteScheduler"
    assert target.render(PROMPTS[:1]).shape == (1, 3, 32, 32)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"model": "no-such-org/no-such-model"},
            "model 'no-such-org/no-such-model': cannot load the pipeline",
        ),
        # a folder that is not a pipeline's was "expected a local directory, or a hub id"
        ({"model": "."}, r"model '\.': .* has no model_index.json, so it is not a diffusers"),
        ({"scheduler": "NoScheduler"}, "scheduler 'NoScheduler' is not a diffusers scheduler"),
        # a near miss names the real class; nothing close names common ones
        ({"scheduler": "EulerDiscrete"}, "did you mean .*EulerDiscreteScheduler"),
        ({"scheduler": "DPMSolver"}, "did you mean DPMSolverMultistepScheduler or "),
        ({"scheduler": "zzz"}, "e.g. DPMSolverMultistepScheduler, EulerDiscreteScheduler"),
        ({"dtype": "float8"}, "dtype 'float8' is not allowed"),
        # configs/sd14.yaml's float16 with device: cpu drew NaN: all evaluations 'invalid'
        ({"dtype": "float16"}, r"dtype 'float16' does not run on the CPU .*set dtype: float32"),
        # both refused only when the first image was generated, with a traceback
        ({"negative_prompt": 5}, r"negative_prompt must be text \(\"\" for none\), got 5"),
        ({"guidance_scale": -1}, r"guidance_scale must be in \[0, 100\]"),
        ({"lora_weights": "/no/such/dir"}, r"lora_weights '/no/such/dir' does not exist$"),
        (
            {"cpu_threads": "2"},
            r"cpu_threads must be a whole number from 1 \(or null .*got '2'",
        ),  # TypeError
        # configs/sd14.yaml's path before the download: not a hub id to fetch
        (
            {"model": "~/no-such-models/sd14"},
            # huggingface_hub 1.x has no huggingface-cli: the command the error gives must exist
            r"model '~/no-such-models/sd14': no such folder /\S+/no-such-models/sd14; download "
            r"the model there first \(hf download HUB_ID --local-dir /\S+/no-such-models/sd14, "
            r"HUB_ID being the model's id on the Hugging Face hub",
        ),
        # neither weights nor the device: the weights are named first, the step all else waits on
        (
            {"model": "~/no-such-models/sd14", "device": "cuda:7"},
            "model '~/no-such-models/sd14': no such folder ",
        ),
    ],
)
def test_bad_settings_are_one_line_errors(tiny_pipeline: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(FfadeError, match=message) as info:
        DiffusersPipeline(**{"model": str(tiny_pipeline), **kwargs})
    assert "\n" not in str(info.value)


def test_a_prompt_longer_than_the_text_encoder_reads_is_one_line(
    target: DiffusersPipeline,
) -> None:
    """Truncated, the words after the limit (here the concept's) would silently do nothing."""
    long = Prompt("a {style} handwritten seven").with_words("in red ink " * 4, "after")
    with pytest.raises(FfadeError, match=r"is 17 tokens, but its text encoder reads at most 16"):
        target.predict([PROMPTS[0], long])
    with pytest.raises(FfadeError, match="shorten the base prompts or the words the concepts add"):
        target.features([long])


def test_a_grid_that_makes_a_prompt_too_long_is_refused_before_any_evaluation(
    target: DiffusersPipeline,
) -> None:
    """It fired mid-search, at the first batch that drew the longest words, after work was done.
    Each prompt is checked with every concept's longest words, whichever order they come in."""
    from ffade_diffusion.concepts import PromptSlot, PromptWords

    style = PromptSlot("style", ["", "thin", "very very thin"], label="style")
    words = PromptWords("after", ["", "in red ink " * 3, "ink"], label="medium")
    target.check_task(PROMPTS, [style, PromptWords("after", ["", "ink"])])  # fits: 16 at most
    for concepts in ([style, words], [words, style]):
        with pytest.raises(FfadeError) as info:
            target.check_task(PROMPTS, concepts)
        assert str(info.value).startswith(
            "target 'diffusers_pipeline': prompt 'a very very thin handwritten seven in red ink "
            "in red ink in red ink' is 18 tokens, but its text encoder reads at most 16"
        )
    with pytest.raises(FfadeError, match=r"inputs must be prompts .*, not str$"):
        target.check_task(["not a prompt"], [style])  # at build, not at the first evaluation


def test_a_sampler_concept_whose_neutral_is_not_the_targets_setting_is_refused(
    target: DiffusersPipeline,
) -> None:
    """ffade never applies a neutral value: with the default neutral 7.5 on a target at 2.0, the
    state labelled 7.5 would be drawn at 2.0 and its failures reported under the wrong value."""
    from ffade_diffusion.concepts import GuidanceScale, InferenceSteps

    target.check_task(PROMPTS, [GuidanceScale([1.0, 2.0], neutral=2.0), InferenceSteps([3, 2], 3)])
    with pytest.raises(FfadeError) as info:
        target.check_task(PROMPTS, [GuidanceScale([1.0, 2.0, 7.5], label="guidance_scale")])
    assert str(info.value) == (
        "target 'diffusers_pipeline': guidance_scale is 2.0, but concept 'guidance_scale' has "
        "neutral 7.5, a value ffade never applies: its states would be drawn with guidance_scale "
        "2.0; set the concept's neutral: 2.0"
    )
    with pytest.raises(FfadeError, match=r"num_inference_steps 3; set the concept's neutral: 3$"):
        target.check_task(PROMPTS, [InferenceSteps([3, 2], label="steps")])


@pytest.mark.parametrize("check", [check_prompt_lengths, tokenize_prompts])
def test_a_long_prompt_error_is_the_only_message(tiny_pipeline: Path, check) -> None:
    """transformers' own "Token indices sequence length is longer" warning came first, so the
    user saw two lines on stderr; ffade says it, in one."""
    from transformers import AutoTokenizer

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    messages: list[str] = []
    handler = Collect()
    logging.getLogger("transformers").addHandler(handler)  # its records do not propagate
    try:
        tokenizer = AutoTokenizer.from_pretrained(tiny_pipeline / "tokenizer")  # never warned
        long = Prompt("a handwritten seven").with_words("in red ink " * 4, "after").text
        with pytest.raises(FfadeError, match="is 17 tokens"):
            check(tokenizer, [long], "target 'diffusers_pipeline'")
    finally:
        logging.getLogger("transformers").removeHandler(handler)
    assert not [m for m in messages if "sequence length" in m]


def test_a_missing_relative_lora_says_where_it_was_read(
    tiny_pipeline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing lora_weights said only "is not a directory"; every other plugin data path says
    ``does not exist (read as /abs/path)`` (ffade.plugin_api.missing_file)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FfadeError) as info:
        DiffusersPipeline(str(tiny_pipeline), lora_weights="lora")
    assert str(info.value).endswith(
        f"lora_weights 'lora' does not exist (read as {tmp_path / 'lora'})"
    )


def test_a_lora_given_as_weights_or_as_its_file_names_the_argument(
    tiny_pipeline: Path, tmp_path: Path
) -> None:
    """mitigation.json's lora/ given as `weights` said "is a directory", its file "208 keys
    missing"; the file as `lora_weights` said "is not a directory": none named the fix."""
    lora = tmp_path / "lora"
    lora.mkdir()
    (lora / "pytorch_lora_weights.safetensors").write_bytes(b"")
    file = lora / "pytorch_lora_weights.safetensors"
    for kwargs, message in [
        (
            {"weights": str(lora)},
            f"weights '{lora}' is a LoRA .*give its directory as lora_weights",
        ),
        ({"weights": str(file)}, f"is a LoRA .*as lora_weights: '{lora}'"),
        ({"lora_weights": str(file)}, f"lora_weights '{file}' is a file; give the directory"),
    ]:
        with pytest.raises(FfadeError, match=message) as info:
            DiffusersPipeline(str(tiny_pipeline), **kwargs)
        assert "\n" not in str(info.value)
