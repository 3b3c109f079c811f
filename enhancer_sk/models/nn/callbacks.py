"""skorch callbacks of the project.

:class:`CosineAnnealing` decays the learning rate along a half cosine over the
whole fit, however many epochs ``max_epochs`` says, so ``GridSearchCV`` over
``max_epochs`` (or the command line's ``--epochs``) keeps the schedule's shape.
It is the schedule of the from-scratch Enhancer-LSTMAtt recipe in
``benchmarks/ienhancer2l.py``.
"""

from __future__ import annotations

from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR

__all__ = ["CosineAnnealing"]


class CosineAnnealing(LRScheduler):
    """Cosine decay of the learning rate from ``lr`` to ``eta_min`` over ``max_epochs``.

    A skorch ``LRScheduler`` running torch's ``CosineAnnealingLR`` with
    ``T_max`` taken from the net's ``max_epochs`` when training starts (the
    parameter is not stored, so ``get_params`` / ``clone`` are unaffected).
    It steps once per epoch; the epoch log's ``event_lr`` column records the
    rate of each epoch.  With ``T_max`` equal to ``max_epochs`` it gives the
    same rates as ``LRScheduler(policy=CosineAnnealingLR, T_max=max_epochs)``.

    Parameters
    ----------
    eta_min : float, default=0.0
        Learning rate reached after the last epoch.
    event_name : str, default="event_lr"
        History key of the per-epoch learning rate.

    Examples
    --------
    >>> from enhancer_sk import EnhancerLSTMAttClassifier  # doctest: +SKIP
    >>> from enhancer_sk.models.nn.callbacks import CosineAnnealing  # doctest: +SKIP
    >>> clf = EnhancerLSTMAttClassifier(lr=1e-3, max_epochs=9, train_split=None,  # doctest: +SKIP
    ...                                 callbacks=[("lr_schedule", CosineAnnealing())])
    """

    def __init__(self, eta_min: float = 0.0, event_name: str = "event_lr"):
        super().__init__(
            policy=CosineAnnealingLR, monitor="train_loss", event_name=event_name, step_every="epoch", eta_min=eta_min
        )

    def __repr__(self) -> str:
        return f"CosineAnnealing(eta_min={self.eta_min!r}, event_name={self.event_name!r})"

    def _get_param_names(self) -> list[str]:
        return ["eta_min", "event_name"]

    @property
    def kwargs(self) -> dict:
        """Arguments of ``CosineAnnealingLR`` besides the optimizer."""
        return {"eta_min": self.eta_min, "T_max": self.t_max_}

    def on_train_begin(self, net, **kwargs) -> None:
        """Read the schedule length from the net, then build the torch scheduler."""
        eta_min = self.eta_min
        if isinstance(eta_min, bool) or not isinstance(eta_min, (int, float)) or eta_min < 0:
            raise ValueError(f"CosineAnnealing: eta_min must be a number >= 0, got {eta_min!r}")
        max_epochs = net.max_epochs
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"CosineAnnealing needs max_epochs to be an integer >= 1, got {max_epochs!r}")
        self.t_max_ = max_epochs
        super().on_train_begin(net, **kwargs)
