"""``ffade loop``'s checks of what its stages' plugins declare and hold, before the first stage.

A digits discovery with the seq2seq fine-tuner (or a summarizer's with the classifier fine-tuner)
passed every up-front check, and the fine-tune refused the run's target only after the
discovery's and the feedback's work. Both sides declare what they handle: a target its
``output_kind``, a fine-tuner its ``output_kinds`` (as a reward does), so the loop compares the
two before the first stage, without knowing any plugin by name. A side that declares nothing (a
target whose kind depends on its arguments, a third party's fine-tuner) passes, and the
fine-tune's own check still stands.

Likewise a dataset whose ``finetune`` or ``heldout`` split is empty (``fractions: [0.5, 0.5,
0]``) was refused by the fine-tune after the discovery: :func:`check_stage_splits` asks the
dataset for both splits' sizes first (a dataset reads its inputs only when they are indexed),
then, where that is cheap, whether they are all copies of searched ones (:mod:`ffade.loop_apart`).

And a target the fine-tuner cannot train (no ``model`` or ``preprocess``, no ``weights``
argument) was refused by the fine-tune after the discovery: :func:`check_target_trainable`
makes the fine-tuner's own member checks first, building the target only where its class
leaves them open (an attribute set in the constructor).
"""

from __future__ import annotations

from typing import Any

from ffade.errors import FfadeError, PluginError
from ffade.loop_apart import check_inputs_apart
from ffade.loop_config import LoopConfig, model_class


def check_finetuner_kind(config: LoopConfig, task: Any) -> None:
    """Refuse, in one line naming both keys, a fine-tuner whose declared ``output_kinds`` leave
    out the ``output_kind`` the discovery's target declares; say which targets would match, and
    where the docs show how to write a fine-tuner (a new output kind has none installed).

    ``task``: the discovery config's task as resolved (what the loop's discovery will search).
    """
    from ffade.plugin_checks import OUTPUT_KINDS, declared_kinds  # torch: not for loop --help

    finetuner = model_class(config.mitigate)
    kinds = declared_kinds(finetuner) if finetuner is not None else None
    name = _target_name(task)
    if not kinds or name is None:
        return
    kind = _declared_output_kind(name)
    if kind is None or kind in kinds:
        return
    fixes = " or ".join(OUTPUT_KINDS.get(k, f"output_kind '{k}'") for k in kinds)
    returns = OUTPUT_KINDS.get(kind, f"output_kind '{kind}'")
    matching = _targets_of(kinds)
    targets = f" ({', '.join(matching)})" if matching else ""
    raise FfadeError(
        f"mitigate: {config.mitigate} is a config for {finetuner.__name__}, which fixes "
        f"targets that return {fixes}; discover: {config.discover} searches target '{name}', "
        f"which returns {returns}: give mitigate a fine-tuner for {returns}, or discover a "
        f"target that returns {fixes}{targets}; to write a fine-tuner, see docs/plugins.md, "
        "Your own fine-tuner"
    )


def _target_name(task: Any) -> str | None:
    """The target's plugin name in a resolved task (``name`` or ``{name, args}``)."""
    target = task.get("target") if isinstance(task, dict) else None
    if isinstance(target, dict):
        target = target.get("name")
    return target if isinstance(target, str) and target else None


def _declared_output_kind(name: str) -> str | None:
    """What target ``name`` declares it returns, from its class (or the instance registered
    under the name); None when it declares nothing there or cannot be loaded (which the
    discovery's own checks report)."""
    from ffade import registry  # loads plugins: not for ``ffade loop --help``

    try:
        plugin = registry.registered("target", name) or registry.load("target", name)
    except PluginError:
        return None
    kind = getattr(plugin, "output_kind", None)
    return kind if isinstance(kind, str) else None


def _targets_of(kinds: tuple[str, ...]) -> list[str]:
    """The installed and registered targets whose class declares one of ``kinds``."""
    from ffade import registry

    names = []
    for info in registry.available("target"):
        if _declared_output_kind(info.name) in kinds and info.name not in names:
            names.append(info.name)
    return names


def check_stage_splits(config: LoopConfig, task: Any, fixing: dict[str, Any] | None = None) -> None:
    """Refuse, in one line naming the discover file, a dataset with no ``finetune`` inputs to
    train the fix on or no ``heldout`` inputs to judge it on, then (where that is cheap) one
    whose inputs there are all copies (:func:`ffade.loop_apart.check_inputs_apart`, with
    ``fixing``, the fine-tuner's resolved init_args); a dataset the loop cannot build here is
    left to the discovery, which says why in its own words."""
    from ffade import registry  # loads plugins: not for ``ffade loop --help``
    from ffade.plugin_checks import split_sequence

    spec = task.get("dataset") if isinstance(task, dict) else None
    spec = {"name": spec} if isinstance(spec, str) else spec
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return
    try:
        dataset = registry.create("dataset", spec["name"], spec.get("args") or {})
        sizes = {split: len(split_sequence(dataset, split)) for split in ("finetune", "heldout")}
    except Exception:  # the discovery builds it again and says why (or crashes, as before)
        return
    for split, job in (("finetune", "trains the fix on"), ("heldout", "judges the fix on")):
        if not sizes[split]:
            raise FfadeError(
                f"{config.discover}: dataset '{spec['name']}' has no inputs in split '{split}', "
                f"which the loop's fine-tune {job} (discovery, fine-tuning and held-out inputs "
                "are apart); give the dataset inputs there (e.g. its fractions)"
            )
    check_inputs_apart(config, task, fixing or {}, dataset)


def check_target_trainable(
    config: LoopConfig, task: Any, fixing: dict[str, Any] | None = None
) -> None:
    """Refuse, in the fine-tune's own line, a discovery target that a :class:`FineTuner` in
    ``mitigate`` would refuse once the discovery has run (its ``check_target``; by default
    ffade.mitigate.plan.check_trainable): then the ``weights`` argument is read from the class;
    ``model`` and ``preprocess`` too where the class has them (a property, a method), else the
    target is built with the discovery's arguments (always for a fine-tuner's own check). Then
    the fine-tuner's settings (``fixing``, its resolved init_args) on that target, where the
    fine-tuner has a classmethod ``check_settings_on(init_args, target)`` (``target()`` builds
    it once, None if it cannot be built here; Seq2SeqFineTuner's tries its LoRA modules), the
    line prefixed by the mitigate file. A target that cannot be loaded or built here is left to
    the discovery, which says why in its own words; a fine-tuner of another base checks what it
    needs itself."""
    from ffade import registry  # torch: not for ``ffade loop --help``
    from ffade.mitigate.base import FineTuner
    from ffade.mitigate.plan import check_takes_weights, check_trainable
    from ffade.plugin_names import plugin_label
    from ffade.rng import rng_states, set_rng_states

    finetuner = model_class(config.mitigate)
    target = task.get("target") if isinstance(task, dict) else None
    spec = {"name": target} if isinstance(target, str) else target
    if not (finetuner and issubclass(finetuner, FineTuner) and isinstance(spec, dict)):
        return
    name, args = spec.get("name"), spec.get("args") or {}
    if not isinstance(name, str) or not isinstance(args, dict):
        return
    try:
        cls = registry.load("target", name)
    except PluginError:
        return
    built: dict[str, Any] = {}

    def build() -> Any:
        """The target with the discovery's arguments, built once; None if it cannot be here."""
        if "target" not in built:
            states = rng_states()  # a model's random init draws: the stages' runs see none of it
            try:
                built["target"] = registry.create(
                    "target", name, args, key="model.init_args.task.target"
                )
            except Exception:  # the discovery builds it again and says why
                built["target"] = None
            finally:
                set_rng_states(states)
        return built["target"]

    if finetuner.check_target is check_trainable:  # else its own checks, on the built target
        check_takes_weights(cls, plugin_label(registry.registered("target", name) or cls, name))
    if finetuner.check_target is not check_trainable or not all(
        hasattr(cls, member) for member in ("model", "preprocess")
    ):  # no need to load a model to know where the class has both
        if build() is None:
            return
        finetuner.check_target(build(), name)
    check_settings = getattr(finetuner, "check_settings_on", None)  # a fine-tuner's own, if any
    if check_settings is None:
        return
    states = rng_states()  # adapters' random init: the stages' runs see none of it either
    try:
        check_settings(fixing or {}, build)
    except FfadeError as exc:
        raise FfadeError(f"{config.mitigate}: {exc}") from exc
    finally:
        set_rng_states(states)
