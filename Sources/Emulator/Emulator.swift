public enum EmulatorModule {}
