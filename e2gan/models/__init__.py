"""Networks: the E2GAN generator, the pix2pix ResNet-9 baseline and the PatchGAN discriminator."""
