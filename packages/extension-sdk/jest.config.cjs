module.exports = { ...require('../../jest.preset.cjs'), displayName: 'extension-sdk' };
