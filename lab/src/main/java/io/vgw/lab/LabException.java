package io.vgw.lab;

/** A lab step that failed, with a message saying what to do. */
public final class LabException extends RuntimeException {
    public LabException(String message) {
        super(message);
    }
}
