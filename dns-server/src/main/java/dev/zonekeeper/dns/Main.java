package dev.zonekeeper.dns;

public final class Main {
    public static void main(String[] args) {
    }
}
