"""A copy of the training state kept on its device, to step back to when the loss stops being finite."""
import copy

import torch


class Rollback:
    """keep() copies the trainable weights, optimizer state and weight average (device copies: a few MB for
    these models); restore() puts the last copy back and returns the step it was kept at."""

    def __init__(self, module, optimizer, ema, step=0):
        self.module, self.optimizer, self.ema = module, optimizer, ema
        self.keep(step)

    @torch.no_grad()
    def keep(self, step):
        self.weights = {n: p.detach().clone() for n, p in self.module.named_parameters() if p.requires_grad}
        self.opt_state = copy.deepcopy(self.optimizer.state_dict())
        self.ema_state = copy.deepcopy(self.ema.state_dict())
        self.step = step

    @torch.no_grad()
    def restore(self):
        params = dict(self.module.named_parameters())
        for n, w in self.weights.items():
            params[n].copy_(w)
        self.optimizer.load_state_dict(copy.deepcopy(self.opt_state))
        self.ema.load_state_dict(copy.deepcopy(self.ema_state))
        return self.step
