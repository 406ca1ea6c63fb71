public enum QConvertTestSupportPlaceholder {}
