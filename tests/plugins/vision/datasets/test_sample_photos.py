"""The bundled sample photos: enough deterministic views, disjoint splits, acceptable classes."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from ffade_vision.datasets import SamplePhotosDataset
from ffade_vision.datasets import sample_photos as module

from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS


@pytest.fixture(scope="module")
def photos() -> SamplePhotosDataset:
    return SamplePhotosDataset()


def test_views_are_real_images_with_their_photo_classes(photos: SamplePhotosDataset) -> None:
    items = [item for name in SPLITS for item in photos.split(name)]
    assert len(items) == len(module.PHOTOS) * len(module.VIEWS) >= 32
    for image, classes in items:
        assert image.shape == (3, 224, 224) and image.dtype == torch.float32
        assert image.min() >= 0.0 and image.max() <= 1.0
        assert classes in {photo.classes for photo in module.PHOTOS}
    images = torch.stack([image for image, _ in items])
    assert images.std() > 0.1, "photos, not blank images"
    flat = images.flatten(1)
    assert len(torch.unique(flat, dim=0)) == len(items), "every view differs from every other"


def test_splits_are_disjoint_seeded_and_hold_every_photo(photos: SamplePhotosDataset) -> None:
    views = [set(photos.indices[name].tolist()) for name in SPLITS]
    assert [len(v) for v in views] == [4, 2, 2]
    assert not (views[0] & views[1] or views[0] & views[2] or views[1] & views[2])
    for name in SPLITS:
        classes = [c for _, c in photos.split(name)]
        assert {photo.classes for photo in module.PHOTOS} == set(classes)
    again = SamplePhotosDataset()
    pairs = zip(photos.split("heldout"), again.split("heldout"), strict=True)
    assert all(torch.equal(a[0], b[0]) and a[1] == b[1] for a, b in pairs)
    other = SamplePhotosDataset(seed=1)
    assert any((photos.indices[n] != other.indices[n]).any() for n in SPLITS)


def test_collate_marks_exactly_the_acceptable_classes(photos: SamplePhotosDataset) -> None:
    items = photos.split("discovery")[::4]
    images, accepted = photos.collate(items)
    assert images.shape == (len(items), 3, 224, 224)
    assert accepted.shape == (len(items), 1000) and accepted.dtype == torch.bool
    for row, (_, classes) in enumerate(items):
        assert accepted[row].nonzero().flatten().tolist() == sorted(classes)


def test_a_missing_package_and_bad_fractions_are_one_line_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(FfadeError, match="dataset 'sample_photos': fractions"):
        SamplePhotosDataset(fractions=(0.8, 0.3, 0.2))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "skimage" else real(name)
    )
    with pytest.raises(FfadeError, match=r"'chelsea' ships with the 'skimage' package.*pip"):
        SamplePhotosDataset()


def test_a_split_its_fraction_leaves_empty_is_said_when_the_dataset_is_built() -> None:
    """[0.1, 0.1, 0.1] of 8 views gave 1, 1 and 0: a held-out split empty with no word, found
    only when a suite had no held-out pairs. A fraction of 0 asks for an empty split: no note."""
    assert SamplePhotosDataset(fractions=(0.1, 0.1, 0.1)).notes == (
        "dataset 'sample_photos': fractions [0.1, 0.1, 0.1] of each photo's 8 views give 1, 1 "
        "and 0 to discovery, finetune and heldout, so split 'heldout' is empty (a fine-tune "
        "judges its fix on it; ffade export samples it); raise its fraction",
    )
    assert SamplePhotosDataset(fractions=(1.0, 0.0, 0.0)).notes == ()
