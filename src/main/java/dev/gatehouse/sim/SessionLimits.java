package dev.gatehouse.sim;

/**
 * How long the simulator keeps sessions and how many it lets a bot start, as Discord does.
 *
 * @param resumeWindowMs          a session whose connection dropped (or closed with a code other than 1000/1001)
 *                                stays resumable this long, then RESUME gets op 9 false (Discord: "a few minutes")
 * @param sessionStartTotal       identifies allowed per window, served as session_start_limit.total (Discord: 1000)
 * @param sessionStartResetMs     length of that window, from the first identify in it (Discord: 24 hours)
 * @param memberRequestIntervalMs one request for all members of a guild per this many ms, else RATE_LIMITED
 *                                (Discord: 30 s)
 */
public record SessionLimits(long resumeWindowMs, int sessionStartTotal, long sessionStartResetMs,
                            long memberRequestIntervalMs) {

    /** Discord's values. */
    public static SessionLimits defaults() {
        return new SessionLimits(180_000, 1000, 86_400_000, 30_000);
    }

    /** Checks the values and names the bad one. */
    public SessionLimits {
        if (resumeWindowMs < 0 || sessionStartTotal < 1 || sessionStartResetMs < 1 || memberRequestIntervalMs < 0) {
            throw new IllegalArgumentException("session limits: resumeWindowMs and memberRequestIntervalMs must be >= 0, "
                    + "sessionStartTotal and sessionStartResetMs >= 1; got " + resumeWindowMs + ", " + memberRequestIntervalMs + ", "
                    + sessionStartTotal + ", " + sessionStartResetMs);
        }
    }

    /** The same limits with another resume window. */
    public SessionLimits withResumeWindowMs(long ms) {
        return new SessionLimits(ms, sessionStartTotal, sessionStartResetMs, memberRequestIntervalMs);
    }

    /** The same limits with another daily identify allowance. */
    public SessionLimits withSessionStarts(int total, long resetMs) {
        return new SessionLimits(resumeWindowMs, total, resetMs, memberRequestIntervalMs);
    }

    /** The same limits with another interval between all-member requests of one guild. */
    public SessionLimits withMemberRequestIntervalMs(long ms) {
        return new SessionLimits(resumeWindowMs, sessionStartTotal, sessionStartResetMs, ms);
    }
}
