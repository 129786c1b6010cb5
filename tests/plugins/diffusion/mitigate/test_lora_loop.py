"""``ffade loop`` with the diffusion LoRA fine-tuner refuses, before its first stage, what the
fine-tune would refuse only after the discovery and the feedback had run: a discovery target
with a LoRA already loaded, and a ``rank`` above the UNet's attention projections."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from diffusers import DiffusionPipeline
from ffade_diffusion.mitigate.adapters import LORA_MODULES
from ffade_diffusion.targets.pipeline import BUNDLED_T2I

from ffade.cli import main
from ffade.loop_config import read_loop_config
from ffade.loop_kinds import check_target_trainable
from tests.helpers import REPO
from tests.plugins.diffusion.mitigate.first_fix import save_first_fix


def _loop(root: Path, discover: Path, mitigate: Path) -> Path:
    """``root/loop.yaml``: the text-to-image loop (configs/loop_t2i.yaml) with these stages."""
    loop = yaml.safe_load((REPO / "configs" / "loop_t2i.yaml").read_text())
    loop |= {"discover": str(discover), "mitigate": str(mitigate), "out": str(root / "loops")}
    loop["feedback"] = str(REPO / "configs" / "feedback_t2i.yaml")
    (root / "loop.yaml").write_text(yaml.safe_dump(loop))
    return root / "loop.yaml"


def _with(source: str, path: Path, change) -> Path:
    """``configs/source`` with ``change`` made to its ``model.init_args``, written to ``path``;
    a discovery's budget cut, so that a loop these checks let through ends in minutes."""
    config = yaml.safe_load((REPO / "configs" / source).read_text())
    if "budget" in config["model"]["init_args"]:
        config["model"]["init_args"] |= {"budget": 96, "num_envs": 16, "learning_starts": 32}
    change(config["model"]["init_args"])
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_a_target_with_a_lora_loaded_stops_the_loop_before_the_discovery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A loop on a fixed target (its discover config loads the first fix's ``lora_weights``)
    searched for minutes, took the feedback, and only then the fine-tune refused it."""
    first = save_first_fix(BUNDLED_T2I, tmp_path / "first_fix")

    def load_first(init_args: dict) -> None:
        init_args["task"]["target"]["args"]["lora_weights"] = str(first)

    discover = _with("t2i_quickstart.yaml", tmp_path / "discover.yaml", load_first)
    mitigate = REPO / "configs" / "t2i_mitigate.yaml"
    assert main(["loop", "--config", str(_loop(tmp_path, discover, mitigate))]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("ffade:")] == [
        f"ffade: error: {mitigate}: the discovery searches target 'tiny_digits_t2i' with a LoRA "
        f"already loaded (lora_weights '{first}'); a new LoRA would replace it and drop that "
        "fix: discover the target without lora_weights, prioritizing every rule to fix"
    ]
    assert not (tmp_path / "loops").exists()  # no discovery ran


def test_a_rank_above_the_unets_stops_the_loop_before_the_discovery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rank: 100000 passed the loop's checks (a whole number, at least 1); the fine-tune
    refused it against the UNet's widths after the discovery and the feedback."""
    unet = DiffusionPipeline.from_pretrained(BUNDLED_T2I).unet
    widest = max(
        min(module.in_features, module.out_features)
        for name, module in unet.named_modules()
        if isinstance(module, torch.nn.Linear) and name.endswith(LORA_MODULES)
    )

    def typo(init_args: dict) -> None:
        init_args["rank"] = 100000

    mitigate = _with("t2i_mitigate.yaml", tmp_path / "mitigate.yaml", typo)
    discover = _with("t2i_quickstart.yaml", tmp_path / "discover.yaml", lambda init_args: None)
    assert main(["loop", "--config", str(_loop(tmp_path, discover, mitigate))]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("ffade:")] == [
        f"ffade: error: {mitigate}: model.init_args.rank 100000 is above {widest}, the full rank "
        "of the UNet's widest attention projection (to_q, to_k, to_v, to_out.0): a larger rank "
        f"cannot change the update; choose 1 to {widest} (the paper used 4)"
    ]
    assert not (tmp_path / "loops").exists()


def test_the_shipped_loop_passes_and_leaves_the_random_streams_alone(tmp_path: Path) -> None:
    """configs/loop_t2i.yaml's target (no LoRA) and rank 4 pass; building the target to check
    them draws no random number the loop's stages would see."""
    loop = read_loop_config(REPO / "configs" / "loop_t2i.yaml")
    discover = yaml.safe_load((REPO / "configs" / "t2i_quickstart.yaml").read_text())
    before = torch.random.get_rng_state()
    check_target_trainable(loop, discover["model"]["init_args"]["task"], {"rank": 4})
    assert torch.equal(torch.random.get_rng_state(), before)
