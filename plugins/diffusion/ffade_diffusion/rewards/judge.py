"""A classifier judges whether each generated image shows the class its prompt asked for.

The judge is any ffade target that classifies images, created through ffade's registry by its
plugin name (e.g. ffade-vision's ``digits_cnn`` for the tiny digits model), so this plugin
depends on no other plugin. A failure is an image the judge does not read as the prompt's
class (the dataset's ``label``); the reward is the paper's classification reward,
``10 * |ln(p / (1 - p))|`` of the judge's top probability on a miss, and -1 otherwise.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from ffade import registry
from ffade.errors import FfadeError, as_written
from ffade.plugin_api import Reward, Scores
from ffade.shown_numbers import share
from ffade.top_class import right_answers, settle_infinite
from ffade_diffusion.rewards._images import generated


class Judge(Reward):
    """Failure when a registered image classifier does not see the intended class.

    Args:
        classifier: the judge as a config names a target: ``{name: digits_cnn, args: {...}}``.
        min_probability: also a failure when the intended class's probability is below this
            (0: only a wrong top class fails).
    """

    output_kinds = ("images",)
    plugin_arguments: ClassVar[dict[str, str]] = {"classifier": "target"}  # its paths too

    def __init__(self, classifier: dict[str, Any], min_probability: float = 0.0) -> None:
        if not isinstance(classifier, dict) or not isinstance(classifier.get("name"), str):
            raise FfadeError(
                "reward 'judge': classifier must name a target, e.g. {name: digits_cnn, args: {}}"
            )
        unknown = sorted(set(classifier) - {"name", "args"})
        if unknown:
            raise FfadeError(
                f"reward 'judge': classifier.{unknown[0]} is not allowed; a classifier takes "
                "name and args"
            )
        number = isinstance(min_probability, int | float) and not isinstance(min_probability, bool)
        if not (number and 0 <= min_probability <= 1):
            raise FfadeError(
                f"reward 'judge': min_probability must be in [0, 1], got "
                f"{as_written(min_probability)}"
            )
        try:
            self.classifier = registry.create(
                "target", classifier["name"], classifier.get("args") or {}
            )
        except FfadeError as exc:  # the judge's own target: say where the config named it
            raise type(exc)(f"reward 'judge': classifier: {exc}") from exc
        _require_image_classifier(self.classifier, classifier["name"])
        self.min_probability = float(min_probability)

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """The judge's class probabilities (B, classes) for images in [0, 1]."""
        with torch.inference_mode():
            logits = self.classifier.predict(self.classifier.to_device(images))
        # a +inf logit is the judge certain of its class, not a NaN probability
        return torch.softmax(settle_infinite(logits.float()), dim=-1).cpu()

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        images, prompts, _ = generated(outputs, "judge")
        labels = list(references)
        if any(label is None for label in labels):
            # name the prompt: a label_field the file lacks left every row unlabelled silently
            prompt = prompts[labels.index(None)]
            raise FfadeError(
                f"reward 'judge': prompt {prompt!r} has no class label, and every prompt needs "
                "one; give the dataset's prompts a label (the field its label_field names, "
                "'label' by default)"
            )
        probabilities = self.probabilities(images)
        labels_t = torch.as_tensor(labels, dtype=torch.long)
        if int(labels_t.max()) >= probabilities.shape[1] or int(labels_t.min()) < 0:
            raise FfadeError(
                "reward 'judge': labels must be class indices in "
                f"[0, {probabilities.shape[1] - 1}] of the judge, got {sorted(set(labels))}"
            )
        intended = probabilities.gather(1, labels_t[:, None]).squeeze(1)
        # ffade's one rule: a tie with another class is a miss, whatever the classes' order (max
        # would read the first listed as the answer); a NaN probability is never read as the label
        read_rightly = right_answers(probabilities, labels_t)
        failed = ~read_rightly | (intended < self.min_probability)
        depth = _log_odds(probabilities.amax(1)).abs()
        # read rightly but unsurely: the surer the judge, the smaller the failure (the top's
        # log-odds paid a judge at 0.9 more than a miss at 0.6)
        short = _log_odds(torch.tensor(self.min_probability)) - _log_odds(intended)
        depth = torch.where(read_rightly, short.abs(), depth)
        # at a top probability of exactly one half the log-odds are 0: a failure still earns
        # more than nothing
        paid = (10 * depth).clamp(min=torch.finfo(torch.float32).tiny)
        reward = torch.where(failed, paid, torch.full_like(depth, -1.0))
        return Scores(metric=intended, failed=failed, reward=reward)

    def describe_outputs(self, outputs: Any, references: Any) -> list[str]:
        """What the judge read in each image, with its confidence, and the prompt it was drawn
        for: 'drew 6 (digits_cnn: p=0.93) for "a thin handwritten zero"'. The prompt alone says
        what the generator was asked to draw, not what it drew."""
        images, prompts, _ = generated(outputs, "judge")
        top, seen = self.probabilities(images).max(1)
        classes = seen.tolist()
        names = self.classifier.describe_references(classes) or classes
        judge = self.classifier.plugin_name or type(self.classifier).__name__
        return [
            f'drew {name} ({judge}: p={share(p)}) for "{prompt}"'
            for name, p, prompt in zip(names, top.tolist(), prompts, strict=True)
        ]


def _log_odds(p: torch.Tensor) -> torch.Tensor:
    """ln(p / (1 - p)), with p kept in [1e-6, 1 - 1e-6] so that it stays finite."""
    p = p.clamp(1e-6, 1 - 1e-6)
    return torch.log(p / (1 - p))


def _require_image_classifier(classifier: Any, name: str) -> None:
    """Refuse, when the reward is built, a judge that is no image classifier by what it declares
    (a summarizer, a text classifier, a generator): it would crash on the first images, after the
    run had started. A target that declares neither modality nor output kind passes."""
    modality = getattr(classifier, "modality", "generic")
    kind = getattr(classifier, "output_kind", None)
    if modality in ("image", "generic") and kind in (None, "class_scores"):
        return
    raise FfadeError(
        f"reward 'judge': classifier '{name}' is a {modality} target that returns "
        f"{kind or 'other outputs'}, "
        "but the judge needs an image classifier (a target that reads images and returns class "
        "scores), e.g. digits_cnn or torchvision_classifier"
    )
