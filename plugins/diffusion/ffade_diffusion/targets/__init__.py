"""Text-to-image targets: any diffusers pipeline, and the bundled tiny digits model."""
