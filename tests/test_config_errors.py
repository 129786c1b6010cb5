"""jsonargparse's config errors said in one line (ffade/config_errors.py); the CLI's cases are in
tests/test_bad_inputs.py, these are the pieces it is made of."""

from __future__ import annotations

from ffade.config_errors import config_error_line, init_parameters


def test_init_parameters_follow_kwargs_up_to_the_base() -> None:
    """An explorer passes **kwargs up to Explorer: both classes' arguments are its options."""
    names = init_parameters("ffade.explore.DQNExplorer")
    assert {"task", "budget", "gamma"} <= set(names)  # its own
    assert {"eval_batch_size", "max_idle_steps", "stop_when"} <= set(names)  # its base's
    assert len(names) == len(set(names)) and "self" not in names
    assert init_parameters("ffade.explore.NoSuchExplorer") == []
    assert init_parameters("no_such_module.Class") == []


def test_a_misspelt_trainer_key_gets_the_closest_and_the_allowed_ones() -> None:
    line = config_error_line("Subcommand 'fit' does not accept option 'trainer.max_epoch'")
    assert line.startswith("unknown key 'trainer.max_epoch' (did you mean 'trainer.max_epochs'?)")
    assert "allowed trainer keys:" in line


def test_a_key_left_out_of_an_explorer_is_named_as_the_config_writes_it() -> None:
    message = (
        'Parser key "model":\n'
        "  Problem with given class_path 'ffade.explore.RandomExplorer':\n"
        "    the following arguments are required: task.dataset.name"
    )
    assert config_error_line(message) == (
        "model.init_args.task.dataset.name has no default: give it a value (null is no value)"
    )
