import pytest
import torch

from ffade.threads import cpu_threads, one_thread


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def test_the_block_runs_on_the_threads_asked_for_and_the_count_comes_back(two_threads):
    with cpu_threads(torch.device("cpu"), 1):
        assert torch.get_num_threads() == 1
    with one_thread(torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


def test_none_or_another_device_leaves_the_threads_alone(two_threads):
    with cpu_threads(torch.device("cpu"), None):
        assert torch.get_num_threads() == 2
    with cpu_threads(torch.device("cuda"), 1):
        assert torch.get_num_threads() == 2


def test_the_count_comes_back_after_an_error(two_threads):
    with pytest.raises(RuntimeError), cpu_threads(torch.device("cpu"), 1):
        raise RuntimeError
    assert torch.get_num_threads() == 2
