import Testing

@Test func placeholderEmulatorTests() { #expect(1 + 1 == 2) }
