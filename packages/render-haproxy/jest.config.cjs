module.exports = { ...require('../../jest.preset.cjs'), displayName: 'render-haproxy' };
