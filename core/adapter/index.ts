export type * from './conn';
export type * from './outbound';
export type * from './router';
export type * from './stats';
export type * from './relay';
export type * from './lifecycle';
