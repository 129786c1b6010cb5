"""Fine-tuners for text-to-image targets."""

from ffade_diffusion.mitigate.lora import DiffusionLoRAFineTuner

__all__ = ["DiffusionLoRAFineTuner"]
