"""Your own PyTorch model, searched, reported and fixed in a few lines: python examples/own_model.py

A small CNN is trained for seconds on scikit-learn's digits (offline), a DQN searches where
rotation, darkening and blur make it misread them (runs/own_model/version_N), the failure
rules are reported, and the first is fine-tuned away (runs/mitigate/version_N).
"""

import torch
from ffade_vision.datasets.digits import DigitsDataset
from torch import nn
from torch.nn import functional as F

import ffade

torch.manual_seed(0)
data = DigitsDataset(seed=0)  # the same seeded splits ffade's "digits" dataset uses
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10),
)  # fmt: skip

# train on the finetune split only: discovery searches images the model has never seen
images, labels = data.collate(data.split("finetune"))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for _ in range(15):
    for batch in torch.randperm(len(labels)).split(64):
        optimizer.zero_grad()
        F.cross_entropy(model(images[batch]), labels[batch]).backward()
        optimizer.step()

run = ffade.discover(
    # target=model works as it is too; wrapping it lets the explorer see embeddings
    target=ffade.CallableTarget(model, features=model[:-1]),  # the explorer sees embeddings
    dataset="digits",
    reward="misclassification",
    concepts=[
        {"name": "rotation", "args": {"values": [-20, -10, 0, 10, 20]}},
        {"name": "brightness", "args": {"values": [0.7, 0.85, 1.0]}},
        {"name": "gaussian_blur", "args": {"values": [0.0, 1.0, 1.5, 2.0, 2.5]}},
    ],
    max_inputs=64,
    explorer="dqn",
    budget=1500,
    save_dir="runs",
    name="own_model",
)
print(run.summary["failures"], "failures in", run.summary["evaluations"], "evaluations")
print("report:", run.report())
for rule in run.rules[:3]:  # as `ffade report` lists them; rank 1 is what the fix targets
    print(f"  {rule['conditions']}: {rule['failure_rate']:.0%} fail")

fix = ffade.mitigate(run, {"regions": [{"rank": 1, "priority": "high"}]}, max_epochs=3)
m = fix.mitigation
print(
    f"fix {m['status']}: rule 1's failure rate {m['targeted_failure_rate_before']:.0%} -> "
    f"{m['targeted_failure_rate_after']:.0%}, clean accuracy {m['clean_accuracy_before']:.0%} "
    f"-> {m['clean_accuracy_after']:.0%} (held-out digits)"
)
