module.exports = { ...require('../../jest.preset.cjs'), displayName: 'pack-test' };
