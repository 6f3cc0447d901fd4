public enum TUIModule {}
