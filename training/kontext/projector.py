"""The Kontinuous Kontext strength projector (the paper's formula; keys as in `slider_projector.pth`)."""
import math

import torch
import torch.nn as nn

from .config import ProjectorConfig
from .layers import as_dtype


class StrengthProjector(nn.Module):
    """(strength [B,1], pooled [B,P]) -> modulation [B, 2*inner].

    pe = [sin(pi s), cos(pi s)] -> `pe_extender` Linear(2, P); concat [pe_P, pooled] (strength first);
    `projector` = Linear(2P, H) ReLU Linear(H, H) ReLU Linear(H, H) ReLU Linear(H, 2*inner).
    """

    def __init__(self, cfg: ProjectorConfig):
        super().__init__()
        self.config = cfg
        self.pe_extender = nn.Linear(2, cfg.pooled_dim)
        self.projector = nn.Sequential(
            nn.Linear(2 * cfg.pooled_dim, cfg.hidden_dim), nn.ReLU(),
            nn.Linear(cfg.hidden_dim, cfg.hidden_dim), nn.ReLU(),
            nn.Linear(cfg.hidden_dim, cfg.hidden_dim), nn.ReLU(),
            nn.Linear(cfg.hidden_dim, cfg.out_dim))

    def forward(self, strength: torch.Tensor, pooled: torch.Tensor) -> torch.Tensor:
        s = as_dtype(strength.reshape(-1, 1), pooled.dtype)
        pe = torch.cat([torch.sin(math.pi * s), torch.cos(math.pi * s)], dim=-1)
        return self.projector(torch.cat([self.pe_extender(pe), pooled], dim=-1))

    def zero_init_output(self) -> None:
        """Makes the initial modulation exactly zero, so stage 2 starts from the base editor's behaviour."""
        nn.init.zeros_(self.projector[6].weight)
        nn.init.zeros_(self.projector[6].bias)
