package dev.gatehouse.delivery;

import dev.gatehouse.pipeline.Controllers;
import dev.gatehouse.spi.DeliveredEvent;
import dev.gatehouse.spi.DeliveryTarget;
import java.util.ArrayList;
import java.util.List;

/**
 * A controller's {@link DeliveryTarget} in place of HTTP: its results mean what the bot's answers mean, and an
 * exception (counted, logged rate-limited by {@link Controllers}) holds the batch for a retry.
 */
final class ControllerTarget implements Target {
    private final DeliveryTarget target;
    private final Controllers controllers;

    ControllerTarget(DeliveryTarget target, Controllers controllers) {
        this.target = target;
        this.controllers = controllers;
    }

    @Override
    public Answer post(List<Pending> batch) throws InterruptedException {
        List<DeliveredEvent> events = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            events.add(new DeliveredEvent(p.shardId(), p.sessionId() == null ? "" : p.sessionId(), p.seq(), p.type(),
                    p.destination(), p.body().clone()));
        }
        DeliveryTarget.Result r;
        try {
            r = target.deliver(events);
        } catch (RuntimeException | LinkageError e) {
            controllers.targetFailed(e);
            return new Answer(Answer.Verdict.HOLD, -1, "the controller's target failed: " + e, 0);
        }
        if (r == null) {
            return new Answer(Answer.Verdict.HOLD, -1, "the controller's target answered null", 0);
        }
        String detail = r.detail() == null ? "" : r.detail();
        return switch (r.outcome()) {
            case DELIVERED -> new Answer(Answer.Verdict.DELIVERED, 200, detail, 0);
            case REFUSED -> new Answer(Answer.Verdict.REFUSED, 0, detail, 0);
            case HOLD -> new Answer(Answer.Verdict.HOLD, -1, detail, Math.max(0, r.retryAfterMs()));
        };
    }

    @Override
    public String where() {
        return "controller target " + target.getClass().getName();
    }
}
