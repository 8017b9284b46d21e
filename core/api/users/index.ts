export { usersApiPlugin, type UsersApiOptions, type UsersPluginOptions } from './plugin';
