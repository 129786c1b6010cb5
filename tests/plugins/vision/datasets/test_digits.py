"""scikit-learn digits as an ffade dataset: image format and seeded, disjoint splits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ffade_vision.datasets import DigitsDataset
from ffade_vision.datasets._splits import array_keys, split_indices
from hypothesis import given, settings
from hypothesis import strategies as st

from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS, disjoint_split_indices


@pytest.fixture(scope="module")
def digits() -> DigitsDataset:
    return DigitsDataset()


def test_images_are_gray_28px_in_unit_range_with_a_blank_margin(digits: DigitsDataset) -> None:
    image, label = digits.split("discovery")[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert image.min() >= 0.0 and image.max() <= 1.0 and image.max() > 0.5
    assert isinstance(label, int) and 0 <= label <= 9
    assert (digits.images[:, :, :4] == 0).all() and (digits.images[:, :, :, -4:] == 0).all()


def test_splits_are_disjoint_cover_the_fractions_and_collate(digits: DigitsDataset) -> None:
    sizes = {name: len(digits.split(name)) for name in SPLITS}
    assert sizes == {"discovery": 719, "finetune": 719, "heldout": 359}
    seen = np.concatenate([digits.indices[name] for name in SPLITS])
    assert len(np.unique(seen)) == len(seen)
    images, labels = digits.collate(digits.split("heldout")[:5])
    assert images.shape == (5, 1, 28, 28) and labels.shape == (5,)


def test_the_seed_fixes_the_split() -> None:
    first, again, other = DigitsDataset(seed=1), DigitsDataset(seed=1), DigitsDataset(seed=2)
    assert np.array_equal(first.indices["finetune"], again.indices["finetune"])
    assert not np.array_equal(first.indices["finetune"], other.indices["finetune"])


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    fractions=st.lists(st.floats(0, 1), min_size=3, max_size=3).filter(lambda f: sum(f) <= 1),
)
def test_any_seed_and_fractions_give_disjoint_splits(seed: int, fractions: list[float]) -> None:
    indices = split_indices("digits", 1797, fractions, seed)
    everything = np.concatenate(list(indices.values()))
    assert len(np.unique(everything)) == len(everything)
    assert everything.min(initial=0) >= 0 and everything.max(initial=0) < 1797


def test_options_and_errors() -> None:
    rgb = DigitsDataset(channels=3, image_size=16, margin=0)
    image, _ = rgb.split("finetune")[0]
    assert image.shape == (3, 16, 16)
    torch.testing.assert_close(image[0], image[2])
    with pytest.raises(FfadeError, match="channels must be 1 or 3"):
        DigitsDataset(channels=2)
    with pytest.raises(FfadeError, match="leave 4 pixels"):
        DigitsDataset(image_size=12, margin=4)
    with pytest.raises(FfadeError) as error:  # it was a torch RuntimeError, a traceback
        DigitsDataset(image_size=9223372036854775807)
    assert str(error.value) == (
        "dataset 'digits': image_size must be a whole number of pixels, at most 512 (every "
        "image is held in memory), got 9223372036854775807"
    )
    with pytest.raises(FfadeError, match="dataset 'digits': fractions"):
        DigitsDataset(fractions=(0.5, 0.5, 0.5))
    with pytest.raises(FfadeError, match="unknown split 'train'"):
        DigitsDataset().split("train")


def test_the_bundled_digits_have_no_copies_and_split_as_before(digits: DigitsDataset) -> None:
    assert len({bytes(image.numpy()) for image in digits.images}) == len(digits.labels) == 1797
    plain = disjoint_split_indices(1797, digits.fractions, 0)
    assert all(digits.indices[name].tolist() == plain[name].tolist() for name in SPLITS)


def test_equal_image_arrays_share_a_key_and_one_split() -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 17, (8, 8)).astype(float) for _ in range(6)]
    images += [images[0].copy(), images[0].copy(), images[3].copy()]
    keys = array_keys(images)
    assert keys[6] == keys[7] == keys[0] and keys[8] == keys[3] and len(set(keys)) == 6
    assert array_keys([images[0].astype(np.float32)])[0] != keys[0]  # another dtype, another input
    for seed in range(10):
        splits = split_indices("digits", 9, (0.4, 0.3, 0.3), seed, keys)
        where = {i: name for name in SPLITS for i in splits[name].tolist()}
        assert where[0] == where[6] == where[7] and where[3] == where[8]


def test_a_split_its_fraction_leaves_empty_is_said() -> None:
    """A fraction too small for one image of 1,797 left its split empty in silence."""
    (note,) = DigitsDataset(fractions=(0.5, 0.0001, 0.4)).notes
    assert note == (
        "dataset 'digits': fractions [0.5, 0.0001, 0.4] of 1797 images give 898, 0 and 719 to "
        "discovery, finetune and heldout, so split 'finetune' is empty (a fine-tune trains on "
        "it); raise its fraction"
    )
    assert DigitsDataset(fractions=(0.5, 0.0, 0.4)).notes == ()


@pytest.mark.parametrize("fractions", [5, "abc"])
def test_fractions_that_are_no_list_are_one_line_naming_the_key(fractions: object) -> None:
    """A number was "'int' object is not iterable", a string split into its letters."""
    with pytest.raises(FfadeError) as error:
        DigitsDataset(fractions=fractions)  # type: ignore[arg-type]
    assert str(error.value) == (
        f"dataset 'digits': fractions {fractions!r} must be 3 non-negative numbers "
        "summing to at most 1 (for discovery, finetune, heldout)"
    )


def test_the_digits_are_read_as_scikit_learn_loads_them_without_importing_it() -> None:
    """Importing scikit-learn (scipy.stats and more) to read its digits file was 0.6 s of the
    6.5 s of CPU of ``ffade feedback`` drawing digits; the file is read instead, unchanged."""
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    code = (
        "import sys\n"
        "from ffade_vision.datasets.digits import digits_arrays\n"
        "images, labels = digits_arrays()\n"
        "print('sklearn' in sys.modules, images.sum(), labels.sum())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    bunch = load_digits()
    said = f"False {bunch.images.sum()} {bunch.target.sum()}"
    assert result.stdout.split("\n")[0] == said
    from ffade_vision.datasets.digits import digits_arrays

    images, labels = digits_arrays()
    assert images.dtype == bunch.images.dtype and np.array_equal(images, bunch.images)
    assert labels.dtype == bunch.target.dtype and np.array_equal(labels, bunch.target)


def test_wrong_fractions_on_the_command_line_name_the_key(tmp_path) -> None:
    """The line said "dataset 'digits': split fractions [...]", not the key to correct, where
    the synthetic and text datasets name ``model.init_args.task.dataset.args.fractions``."""
    from pathlib import Path

    from tests.helpers import ffade_in_process

    done = ffade_in_process(
        "fit",
        "--config",
        str(Path(__file__).resolve().parents[4] / "configs" / "quickstart.yaml"),
        "--model.init_args.task.dataset",
        "{name: digits, args: {fractions: [0.5, 0.6, 0.2]}}",
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "ffade: error: dataset 'digits': model.init_args.task.dataset.args.fractions "
        "[0.5, 0.6, 0.2] must be 3 non-negative numbers summing to at most 1 (for discovery, "
        "finetune, heldout)"
    ]
