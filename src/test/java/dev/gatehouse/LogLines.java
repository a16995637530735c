package dev.gatehouse;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Records the log lines of one logger (System.Logger goes to java.util.logging) while a test runs. */
final class LogLines extends Handler implements AutoCloseable {
    private final Logger logger;
    private final List<LogRecord> records = new ArrayList<>();

    LogLines(Class<?> of) {
        logger = Logger.getLogger(of.getName());
        logger.addHandler(this);
    }

    /** Lines at {@code level} whose message contains {@code text}. */
    synchronized long count(Level level, String text) {
        return records.stream().filter(r -> r.getLevel() == level && r.getMessage().contains(text)).count();
    }

    synchronized String all() {
        StringBuilder b = new StringBuilder();
        records.forEach(r -> b.append(r.getLevel()).append(' ').append(r.getMessage()).append('\n'));
        return b.toString();
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
