package dev.gatehouse.sim;

/**
 * The bot's daily allowance of identifies, as {@code session_start_limit} reports it: each identify takes one;
 * the allowance refills {@code resetMs} after the first identify of the window. Discord's answer to an identify
 * past the allowance is to end every session of the bot and reset its token, so the token stays refused
 * (4004 at the gateway, 401 over REST) until the window refills, when the owner would have set a new one.
 * Thread-safe: identifies are counted on the world thread, REST reads come from Netty threads.
 */
final class SessionStarts {
    private final int total;
    private final long resetMs;
    private int remaining;
    private long windowStartMs = -1;
    private boolean revoked;

    SessionStarts(SessionLimits limits) {
        this.total = limits.sessionStartTotal();
        this.resetMs = limits.sessionStartResetMs();
        this.remaining = total;
    }

    /** Takes one identify from the allowance; false when none is left (the caller then revokes the token). */
    synchronized boolean tryStart(long nowMs) {
        refill(nowMs);
        if (revoked || remaining == 0) {
            return false;
        }
        if (windowStartMs < 0) {
            windowStartMs = nowMs;
        }
        remaining--;
        return true;
    }

    /** Marks the token reset, as Discord does when the allowance is exceeded. */
    synchronized void revoke() {
        revoked = true;
    }

    /** True while the token is refused because the allowance was exceeded in this window. */
    synchronized boolean revoked(long nowMs) {
        refill(nowMs);
        return revoked;
    }

    /** The {@code session_start_limit} object of GET /gateway/bot. */
    synchronized String json(long nowMs, int maxConcurrency) {
        refill(nowMs);
        long resetAfter = windowStartMs < 0 ? resetMs : windowStartMs + resetMs - nowMs;
        return "{\"total\":" + total + ",\"remaining\":" + remaining + ",\"reset_after\":" + resetAfter
                + ",\"max_concurrency\":" + maxConcurrency + "}";
    }

    private void refill(long nowMs) {
        if (windowStartMs >= 0 && nowMs - windowStartMs >= resetMs) {
            windowStartMs = -1;
            remaining = total;
            revoked = false;
        }
    }
}
